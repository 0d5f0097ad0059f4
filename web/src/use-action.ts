import { useState } from "preact/hooks";
import { type ApiError, asApiError } from "./api";

/**
 * A form's or button's request: `busy` while it runs (to disable the
 * control), then the error it ended with, if any. `run` clears the last
 * error first and tells whether the action succeeded.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();

  async function run(action: () => Promise<void>): Promise<boolean> {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      return true;
    } catch (e) {
      setError(asApiError(e));
      return false;
    } finally {
      setBusy(false);
    }
  }

  return { busy, error, run };
}
