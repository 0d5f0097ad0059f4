import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Config } from "../config.js";
import { ConfigError } from "../config.js";

export const TOKEN_FILE_NAME = "relabel.token";

export interface ResolvedToken {
  token: string;
  /** Where it came from: the environment, or a file in the data folder (and whether it was just made). */
  source: { kind: "env" } | { kind: "file"; path: string; generated: boolean };
}

/**
 * The API token: RELABEL_API_TOKEN when set. On SQLite without it, one is
 * generated on first start and kept (mode 0600) beside the database, so the
 * embedded default is secure with no setup. PostgreSQL deployments span
 * machines that must share one token, so there it is required.
 */
export function resolveApiToken(config: Config): ResolvedToken {
  if (config.apiToken) return { token: config.apiToken, source: { kind: "env" } };
  if (config.database.kind !== "sqlite") {
    throw new ConfigError(
      "RELABEL_API_TOKEN: required with PostgreSQL (every relabel process must share it)",
    );
  }
  const path = resolve(dirname(config.database.path), TOKEN_FILE_NAME);
  if (existsSync(path)) {
    const token = readFileSync(path, "utf8").trim();
    if (token.length >= 16) return { token, source: { kind: "file", path, generated: false } };
  }
  mkdirSync(dirname(path), { recursive: true });
  const token = randomBytes(32).toString("base64url");
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // the mode above is ignored when the file already existed
  return { token, source: { kind: "file", path, generated: true } };
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Constant-time comparison: hashing first makes both sides the same length. */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}
