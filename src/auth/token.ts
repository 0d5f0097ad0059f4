import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Config } from "../config.js";
import { ConfigError } from "../config.js";
import { Credentials } from "./credentials.js";

export const TOKEN_FILE_NAME = "relabel.token";

export interface ResolvedCredentials {
  credentials: Credentials;
  /** Where the admin token came from: the environment, or a file in the data folder (and whether it was just made). */
  source: { kind: "env" } | { kind: "file"; path: string; token: string; generated: boolean };
}

/**
 * The tokens: RELABEL_API_TOKEN and RELABEL_ADMIN_TOKENS (admin scope), and
 * RELABEL_INGEST_TOKENS (ingest scope). On SQLite with no admin token, one is
 * generated on first start and kept (mode 0600) beside the database, so the
 * embedded default is secure with no setup. PostgreSQL deployments span
 * machines that must share their tokens, so there one is required.
 */
export function resolveCredentials(config: Config): ResolvedCredentials {
  const admin = [...(config.apiToken ? [config.apiToken] : []), ...config.adminTokens];
  const ingest = config.ingestTokens;
  if (admin.length > 0) return { credentials: new Credentials({ admin, ingest }), source: { kind: "env" } };
  if (config.database.kind !== "sqlite") {
    throw new ConfigError(
      "RELABEL_API_TOKEN: required with PostgreSQL (every relabel process must share it)",
    );
  }
  const { token, path, generated } = tokenFile(resolve(dirname(config.database.path), TOKEN_FILE_NAME));
  return {
    credentials: new Credentials({ admin: [token], ingest }),
    source: { kind: "file", path, token, generated },
  };
}

function tokenFile(path: string): { token: string; path: string; generated: boolean } {
  if (existsSync(path)) {
    const token = readFileSync(path, "utf8").trim();
    if (token.length >= 16) return { token, path, generated: false };
  }
  mkdirSync(dirname(path), { recursive: true });
  const token = randomBytes(32).toString("base64url");
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // the mode above is ignored when the file already existed
  return { token, path, generated: true };
}
