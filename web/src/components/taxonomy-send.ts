import { ApiError, type ErrorBody, get } from "../api";
import type { Taxonomy } from "./taxonomy-types";

/**
 * PUT /api/taxonomy with the editor's text as YAML (JSON is YAML too), so the
 * server parses it and reports syntax errors by line: `api()` only sends JSON.
 * Errors become the same ApiError `api()` throws.
 */
export async function putTaxonomyText(text: string): Promise<Taxonomy> {
  let res: Response;
  try {
    res = await fetch("/api/taxonomy", {
      method: "PUT",
      credentials: "same-origin",
      headers: { accept: "application/json", "content-type": "application/yaml" },
      body: text,
    });
  } catch {
    throw new ApiError(0, "network", "The server could not be reached. Is relabel running?");
  }
  const json = (await res.json().catch(() => undefined)) as { error?: ErrorBody } | undefined;
  if (res.ok) return json as unknown as Taxonomy;
  // A GET through api() tells the app the session ended, as any of its own requests would.
  if (res.status === 401) await get("/api/whoami").catch(() => undefined);
  const error = json?.error;
  throw new ApiError(
    res.status,
    error?.code ?? "http_error",
    error?.message ?? `The server answered ${res.status}.`,
    error?.details,
  );
}
