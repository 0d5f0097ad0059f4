import { readFileSync } from "node:fs";

/** The runbook as operators have it (a copy of shared/seed/000_7ff40dd7db83cc16.txt). */
export const RUNBOOK = readFileSync(new URL("../fixtures/runbook.txt", import.meta.url), "utf8");

/** The runbook's publish `fetch`, verbatim but for the template's placeholders. */
export function runbookPublishScript(values: {
  conversation_fs_id?: string;
  note_id?: string;
  note_version?: string;
}): string {
  const start = RUNBOOK.indexOf("fetch('/api/internal/pubsub/publish'");
  const end = RUNBOOK.indexOf("})})", start) + "})})".length;
  return RUNBOOK.slice(start, end)
    .replace("<conversation_fs_id here>", values.conversation_fs_id ?? "")
    .replace("<note_id here>>", values.note_id ?? "")
    .replace("<note_version here>", values.note_version ?? "");
}

/** The runbook's tick-loop script, verbatim but for `totalCalls`. */
export function runbookTickLoop(totalCalls: number): string {
  const start = RUNBOOK.indexOf("async function runFetchSequentially()");
  const end = RUNBOOK.indexOf("runFetchSequentially();", start) + "runFetchSequentially();".length;
  return RUNBOOK.slice(start, end).replace("const totalCalls = 1000;", `const totalCalls = ${totalCalls};`);
}

/**
 * Runs a runbook script as a browser console would: `fetch` relative to the
 * server's origin, console output captured. `headers` stands in for what the
 * browser session adds.
 */
export async function runInConsole(
  script: string,
  origin: string,
  headers: Record<string, string>,
): Promise<string[]> {
  const lines: string[] = [];
  const consoleShim = { log: (...args: unknown[]) => lines.push(args.map(String).join(" ")) };
  const fetchShim = (path: string, init: RequestInit = {}) =>
    fetch(new URL(path, origin), {
      ...init,
      headers: { ...headers, ...(init.headers as Record<string, string>) },
    });
  // The script's last statement starts its work without awaiting it; return that promise instead.
  const body = script.replace(/(runFetchSequentially\(\);|^fetch\()/m, (m) => `return ${m}`);
  const result = await new Function("fetch", "console", body)(fetchShim, consoleShim);
  if (result instanceof Response) lines.push(`${result.status} ${await result.text()}`);
  return lines;
}
