/**
 * `relabel serve` from dist/ as a child process, for benchmarks that go over
 * HTTP; and the build that makes dist/ first.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { spawnNode, waitFor } from "../../test/helpers/processes.js";

export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const TOKEN = "bench-token-0123456789abcdef";
export const AUTH = { authorization: `Bearer ${TOKEN}` };

/** dist/ was built after the last change to any file under src/ (tsc rewrites every file it emits). */
function distIsFresh(): boolean {
  if (!existsSync(CLI)) return false;
  const built = statSync(CLI).mtimeMs;
  const entries = readdirSync(`${ROOT}/src`, { recursive: true, withFileTypes: true });
  return entries.every((e) => !e.isFile() || statSync(`${e.parentPath}/${e.name}`).mtimeMs < built);
}

/**
 * `npm run build` unless dist/ is fresh, retried: src/ may be mid-edit by
 * someone else. If it still fails, an existing dist/ is used with a warning
 * rather than giving up.
 */
export async function build(): Promise<void> {
  if (distIsFresh()) return;
  process.stderr.write("npm run build\n");
  for (let attempt = 1; ; attempt++) {
    try {
      execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
      return;
    } catch (err) {
      const why = String((err as { stderr?: Buffer }).stderr ?? err).slice(0, 500);
      if (attempt < 3) {
        process.stderr.write(`build failed (attempt ${attempt}), retrying in 60 s:\n${why}\n`);
        await new Promise((r) => setTimeout(r, 60_000));
      } else if (existsSync(CLI)) {
        process.stderr.write("build still failing: using the existing dist/\n");
        return;
      } else throw err;
    }
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Served {
  origin: string;
  /** The server's process id (for /proc figures: CPU time, peak RSS). */
  pid: number;
  stop(): Promise<void>;
}

/** Starts `relabel serve` on `databaseUrl` with `workers` runner loops; resolves once /readyz answers 200. */
export async function serve(
  databaseUrl: string,
  workers: number,
  env: Record<string, string> = {},
): Promise<Served> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const server = spawnNode([CLI, "serve"], {
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    RELABEL_API_TOKEN: TOKEN,
    RELABEL_WORKERS: String(workers),
    ...env,
  });
  let exited = false;
  void server.exited.then(() => {
    exited = true;
  });
  await waitFor("relabel serve to be ready", async () => {
    if (exited) throw new Error(`relabel serve exited:\n${server.output()}`);
    const ready = await fetch(`${origin}/readyz`).catch(() => undefined);
    return ready?.ok ? true : undefined;
  });
  return {
    origin,
    pid: server.child.pid as number,
    async stop() {
      server.child.kill("SIGTERM");
      await server.exited;
    },
  };
}

/**
 * `fetch` of `path` on `origin` with the admin token; the JSON answer, or an
 * error naming the status. A 429 is waited out (Retry-After): a tick loop on
 * the same token may have used up the rate limit.
 */
export async function api<T>(origin: string, path: string, init: RequestInit = {}): Promise<T> {
  let response: Response;
  for (;;) {
    response = await fetch(new URL(path, origin), {
      ...init,
      headers: { ...AUTH, ...(init.headers as Record<string, string>) },
    });
    if (response.status !== 429) break;
    await response.arrayBuffer();
    await new Promise((r) => setTimeout(r, Number(response.headers.get("retry-after") ?? 1) * 1000));
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}
