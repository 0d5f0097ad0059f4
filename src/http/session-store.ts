import { createHash, randomBytes } from "node:crypto";
import type { Principal } from "../auth/credentials.js";
import { type Database, transaction } from "../db/database.js";

/** What a session holds: whose token signed it in, and the origin it was signed in on. */
export interface StoredSession {
  tokenId: string;
  origin: string;
  expiresAt: number;
}

/** 32 random bytes, base64url: what a session cookie carries. Anything else is not worth a query. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

const hashOf = (id: string) => createHash("sha256").update(id).digest("hex");

/**
 * Browser sessions in the database, so that every process sharing it (one
 * SQLite file, or one PostgreSQL behind many `relabel serve`) sees a sign-out
 * at once. Only a hash of each id is stored: a copy of the table (a backup, a
 * read replica) holds nothing a browser could present.
 */
export class SessionStore {
  constructor(
    private readonly database: Database,
    private readonly lifetimeMs: number,
  ) {}

  /** A new session; its id goes into the cookie and nowhere else. */
  async create(principal: Principal, origin: string): Promise<{ id: string; expiresAt: number }> {
    const id = randomBytes(32).toString("base64url");
    const now = Date.now();
    const expiresAt = now + this.lifetimeMs;
    await transaction(this.database, async (trx) => {
      // Expired rows go at each sign-in: there is one row per sign-in, so the
      // table stays as small as the sessions alive, with no timer to run.
      await trx.deleteFrom("sessions").where("expires_at", "<=", now).execute();
      await trx
        .insertInto("sessions")
        .values({
          id_hash: hashOf(id),
          token_id: principal.tokenId,
          origin,
          created_at: now,
          expires_at: expiresAt,
        })
        .execute();
    });
    return { id, expiresAt };
  }

  /** The live session with this id; none once it expired or was revoked. */
  async find(id: string): Promise<StoredSession | undefined> {
    if (!SESSION_ID.test(id)) return undefined;
    const row = await this.database.db
      .selectFrom("sessions")
      .select(["token_id", "origin", "expires_at"])
      .where("id_hash", "=", hashOf(id))
      .where("expires_at", ">", Date.now())
      .executeTakeFirst();
    return row && { tokenId: row.token_id, origin: row.origin, expiresAt: Number(row.expires_at) };
  }

  /** Ends the session for every process at once. */
  async revoke(id: string): Promise<void> {
    if (!SESSION_ID.test(id)) return;
    await transaction(this.database, (trx) =>
      trx.deleteFrom("sessions").where("id_hash", "=", hashOf(id)).execute(),
    );
  }
}
