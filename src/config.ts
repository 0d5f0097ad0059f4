import { z } from "zod";
import { parseHost } from "./http/host.js";
import { DEFAULT_HTTP_LIMITS } from "./http/http-limits.js";

/**
 * Configuration is read once, at start, from the environment (flags override
 * it) through one schema, so a typo fails at boot with the variable's name.
 */

export type DatabaseTarget = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };

export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: "postgres", url };
  const path = url.replace(/^sqlite:(\/\/)?/i, "");
  if (path === "")
    throw new Error("DATABASE_URL: 'sqlite:' needs a file path, e.g. sqlite:./data/relabel.db");
  return { kind: "sqlite", path };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const MIN_TOKEN_LENGTH = 16;
const tokenRule = `must be at least ${MIN_TOKEN_LENGTH} characters (e.g. \`openssl rand -base64 32\`)`;

/** A comma-separated list of tokens, e.g. the old and the new one while rotating. */
const tokenList = z
  .string()
  .transform((list) =>
    list
      .split(",")
      .map((token) => token.trim())
      .filter((token) => token !== ""),
  )
  .pipe(z.array(z.string().min(MIN_TOKEN_LENGTH, `each token ${tokenRule}`)))
  .default([]);

/** RELABEL_ALLOWED_HOSTS: comma-separated host[:port], as a browser puts it in the Host header. */
const hostList = z
  .string()
  .transform((list) =>
    list
      .split(",")
      .map((host) => host.trim().toLowerCase())
      .filter((host) => host !== ""),
  )
  .pipe(
    z.array(
      z.string().refine((host) => parseHost(host) !== undefined, {
        error: (issue) => `'${issue.input}' is not a host[:port] (e.g. relabel.example.com or 10.0.0.5:3000)`,
      }),
    ),
  )
  .default([]);

const millis = (fallback: number) => intFrom(100, 3_600_000).default(fallback);

const schema = z
  .object({
    DATABASE_URL: z.string().min(1).default("sqlite:./data/relabel.db"),
    PORT: intFrom(0, 65535).default(3000),
    HOST: z.string().min(1).default("127.0.0.1"),
    RELABEL_API_TOKEN: z.string().min(MIN_TOKEN_LENGTH, tokenRule).optional(),
    RELABEL_ADMIN_TOKENS: tokenList,
    RELABEL_INGEST_TOKENS: tokenList,
    RELABEL_LEASE_MS: intFrom(100, 3_600_000).default(30_000),
    RELABEL_WORKERS: intFrom(0, 64).default(1),
    RELABEL_RATE_LIMIT: intFrom(0, 1_000_000).default(200),
    RELABEL_AUTH_FAILURE_LIMIT: intFrom(0, 1_000_000).default(30),
    RELABEL_RETENTION_MS: intFrom(0, 365 * 86_400_000).default(7 * 86_400_000),
    RELABEL_HEADERS_TIMEOUT_MS: millis(DEFAULT_HTTP_LIMITS.headersTimeoutMs),
    RELABEL_REQUEST_TIMEOUT_MS: millis(DEFAULT_HTTP_LIMITS.requestTimeoutMs),
    RELABEL_KEEP_ALIVE_TIMEOUT_MS: millis(DEFAULT_HTTP_LIMITS.keepAliveTimeoutMs),
    RELABEL_IDLE_TIMEOUT_MS: millis(DEFAULT_HTTP_LIMITS.idleTimeoutMs),
    RELABEL_MAX_CONNECTIONS: intFrom(0, 1_000_000).default(DEFAULT_HTTP_LIMITS.maxConnections),
    RELABEL_MAX_CONNECTIONS_PER_ADDRESS: intFrom(0, 1_000_000).default(
      DEFAULT_HTTP_LIMITS.maxConnectionsPerAddress,
    ),
    RELABEL_ALLOWED_HOSTS: hostList,
    RELABEL_METRICS_TOKEN: tokenList,
    RELABEL_METRICS_AUTH: z.enum(["open", "token"]).optional(),
    RELABEL_COMMIT: z
      .string()
      .regex(/^[\w.+-]{1,64}$/, "must be a commit id or tag: 1–64 letters, digits, '.', '_', '+' or '-'")
      .optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .transform((env, ctx) => {
    let database: DatabaseTarget;
    try {
      database = parseDatabaseUrl(env.DATABASE_URL);
    } catch (err) {
      ctx.addIssue({ code: "custom", path: ["DATABASE_URL"], message: (err as Error).message });
      return z.NEVER;
    }
    // Node refuses a server whose headers may take longer than the whole request.
    if (env.RELABEL_HEADERS_TIMEOUT_MS > env.RELABEL_REQUEST_TIMEOUT_MS) {
      ctx.addIssue({
        code: "custom",
        path: ["RELABEL_HEADERS_TIMEOUT_MS"],
        message: `must not exceed RELABEL_REQUEST_TIMEOUT_MS (${env.RELABEL_REQUEST_TIMEOUT_MS})`,
      });
      return z.NEVER;
    }
    // A token set but the endpoint declared open is a contradiction, not a choice to guess.
    if (env.RELABEL_METRICS_AUTH === "open" && env.RELABEL_METRICS_TOKEN.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["RELABEL_METRICS_AUTH"],
        message: "is 'open' but RELABEL_METRICS_TOKEN is set: unset one of them",
      });
      return z.NEVER;
    }
    const metricsAuth = env.RELABEL_METRICS_AUTH ?? (env.RELABEL_METRICS_TOKEN.length > 0 ? "token" : "open");
    return {
      database,
      port: env.PORT,
      host: env.HOST,
      apiToken: env.RELABEL_API_TOKEN,
      adminTokens: env.RELABEL_ADMIN_TOKENS,
      ingestTokens: env.RELABEL_INGEST_TOKENS,
      leaseMs: env.RELABEL_LEASE_MS,
      workers: env.RELABEL_WORKERS,
      retentionMs: env.RELABEL_RETENTION_MS,
      rateLimitPerSecond: env.RELABEL_RATE_LIMIT,
      authFailuresPerMinute: env.RELABEL_AUTH_FAILURE_LIMIT,
      httpLimits: {
        headersTimeoutMs: env.RELABEL_HEADERS_TIMEOUT_MS,
        requestTimeoutMs: env.RELABEL_REQUEST_TIMEOUT_MS,
        keepAliveTimeoutMs: env.RELABEL_KEEP_ALIVE_TIMEOUT_MS,
        idleTimeoutMs: env.RELABEL_IDLE_TIMEOUT_MS,
        maxConnections: env.RELABEL_MAX_CONNECTIONS,
        maxConnectionsPerAddress: env.RELABEL_MAX_CONNECTIONS_PER_ADDRESS,
      },
      allowedHosts: env.RELABEL_ALLOWED_HOSTS,
      /** Who may read /metrics besides admin tokens; undefined: anyone (it is open). */
      metricsTokens: metricsAuth === "token" ? env.RELABEL_METRICS_TOKEN : undefined,
      commit: env.RELABEL_COMMIT,
      logLevel: env.LOG_LEVEL,
    };
  });

export type Config = Readonly<z.output<typeof schema>>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads the config from `env`; `overrides` (from CLI flags) win over the environment. */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Record<string, string | number | undefined> = {},
): Config {
  const merged: Record<string, unknown> = { ...env };
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) merged[key] = String(value);
  // An empty variable means "unset", as in most shells' `VAR= cmd`.
  for (const key of Object.keys(merged)) if (merged[key] === "") delete merged[key];
  const result = schema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "config"}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return Object.freeze(result.data);
}
