/**
 * Starting a worker thread from a module next to the caller, whether the
 * process runs the compiled JavaScript (dist/, what users run) or the
 * TypeScript sources (vitest, tsx: tests and benchmarks). A worker does not
 * inherit the parent's loaders, so from sources it registers tsx's loader
 * before importing the `.ts` module; from dist it imports the `.js` one.
 *
 * Usage, from src/x/pool.ts for src/x/thread.ts:
 *
 *   new Worker(workerSource(import.meta.url, "./thread"), { eval: true })
 *
 * The thread module then talks over `parentPort` as usual.
 */

/**
 * The source of an `eval: true` worker that imports `module` (a path
 * without extension, relative to `callerUrl`, the caller's
 * `import.meta.url`): its `.ts` when the caller is itself a `.ts` source,
 * else its `.js`.
 */
export function workerSource(callerUrl: string, module: string): string {
  const fromSources = callerUrl.endsWith(".ts");
  const url = new URL(`${module}${fromSources ? ".ts" : ".js"}`, callerUrl).href;
  if (!fromSources) return `import(${JSON.stringify(url)});`;
  // tsx is a development dependency: only resolved when running from sources.
  const tsx = import.meta.resolve("tsx/esm/api");
  return `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
}
