import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, get } from "./api";

export interface Loaded<T> {
  data?: T;
  error?: ApiError;
  loading: boolean;
  reload: () => Promise<void>;
}

/**
 * GETs `path` (none while it is undefined), again whenever it changes, and
 * every `refreshMs` while the tab is visible: how counts and progress stay
 * live without reloading the page. A slow answer for an old path is dropped.
 */
export function useApi<T>(path: string | undefined, refreshMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const latest = useRef(path);
  latest.current = path;

  const reload = useCallback(async () => {
    if (path === undefined) return;
    try {
      const data = await get<T>(path);
      if (latest.current === path) setState({ data, loading: false });
    } catch (error) {
      const failure =
        error instanceof ApiError ? error : new ApiError(0, "network", "The request failed.", undefined);
      if (latest.current === path) setState((s) => ({ data: s.data, error: failure, loading: false }));
    }
  }, [path]);

  useEffect(() => {
    setState((s) => ({ data: s.data, loading: true }));
    void reload();
    if (refreshMs === undefined) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") void reload();
    }, refreshMs);
    return () => clearInterval(timer);
  }, [reload, refreshMs]);

  return { ...state, reload };
}
