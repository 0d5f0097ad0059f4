import { createHash, timingSafeEqual } from "node:crypto";

/**
 * What a token may do. `admin` may do everything; `ingest` writes and reads
 * items and labels, but cannot reach the runners, the queue or the taxonomy.
 */
export type Scope = "admin" | "ingest";

export interface Principal {
  scope: Scope;
  /** A short, non-reversible name for the token, safe to log and to key rate limits on. */
  tokenId: string;
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Constant-time comparison: hashing first makes both sides the same length. */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * The tokens this process accepts. Several may be valid at once in each
 * scope, which is how a token is rotated: add the new one, move the clients
 * over, remove the old one.
 */
export class Credentials {
  private readonly entries: { token: string; principal: Principal }[];

  constructor(tokens: { admin: readonly string[]; ingest?: readonly string[] }) {
    if (tokens.admin.length === 0) throw new Error("Credentials: at least one admin token is required");
    const entry = (scope: Scope) => (token: string) => ({
      token,
      principal: { scope, tokenId: digest(token).toString("hex").slice(0, 12) },
    });
    this.entries = [...tokens.admin.map(entry("admin")), ...(tokens.ingest ?? []).map(entry("ingest"))];
  }

  /** The principal of the token with this id, while that token is configured. */
  byTokenId(tokenId: string): Principal | undefined {
    return this.entries.find((e) => e.principal.tokenId === tokenId)?.principal;
  }

  /**
   * Whom a presented token belongs to. Every entry is compared, so the time
   * taken does not tell which one matched, nor how far a guess got.
   */
  identify(presented: string): Principal | undefined {
    let found: Principal | undefined;
    for (const { token, principal } of this.entries) {
      if (tokenMatches(presented, token) && found === undefined) found = principal;
    }
    return found;
  }
}
