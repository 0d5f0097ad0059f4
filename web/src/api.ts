/**
 * The app's only way to the server: the public JSON API, with the session
 * cookie the browser holds. Errors keep the catalog's shape, so pages can show
 * the server's own message and put a field's error beside that field.
 */

export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Anything a request threw, as an ApiError that <Problem> can show. */
export const asApiError = (e: unknown): ApiError =>
  e instanceof ApiError ? e : new ApiError(0, "error", String(e));

/** Listeners told when any request answers 401: the session ended. */
const signedOut = new Set<() => void>();
export function onSignedOut(listener: () => void): () => void {
  signedOut.add(listener);
  return () => signedOut.delete(listener);
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: "same-origin", headers: { accept: "application/json" } };
  if (body !== undefined) {
    init.headers = { ...init.headers, "content-type": "application/json" };
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, "network", "The server could not be reached. Is relabel running?");
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const json = text === "" ? undefined : safeParse(text);
  if (!res.ok) {
    const error = (json as { error?: ErrorBody } | undefined)?.error;
    if (res.status === 401) for (const listener of signedOut) listener();
    throw new ApiError(
      res.status,
      error?.code ?? "http_error",
      error?.message ?? `The server answered ${res.status}.`,
      error?.details,
    );
  }
  return json as T;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const get = <T>(path: string) => api<T>("GET", path);

/** A query string from the defined, non-empty values of `params`. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}
