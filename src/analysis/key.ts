import type { Executor } from "../db/database.js";
import { AppError } from "../errors.js";
import { requireConversation } from "../items/conversations.js";
import { noteVersionNotFound, requireLatestVersion } from "../items/notes.js";
import { idSchema } from "../validation.js";

/** The normalized key of topic `conversation_note_analysis`: exactly one item. */
export type AnalysisKey = { conversation_fs_id: string } | { note_id: string; note_version: number };

const FIELDS = new Set(["conversation_fs_id", "note_id", "note_version"]);

function invalid(message: string): AppError {
  return new AppError("invalid_key", `key: ${message}`);
}

/** Empty strings and null count as absent: the runbook's template carries all three fields. */
function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

function checkId(field: string, value: unknown): string {
  if (typeof value !== "string") throw invalid(`${field} must be a string`);
  const result = idSchema.safeParse(value);
  if (!result.success) throw invalid(`${field} ${result.error.issues[0]?.message ?? "is invalid"}`);
  return value;
}

function parseVersion(value: unknown): number {
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1 || n > 2_147_483_647) {
    throw invalid("note_version must be a positive whole number (or a string of digits)");
  }
  return n;
}

/**
 * Checks a key's shape, then that the item exists; an omitted note version
 * means the latest, resolved now so the message names one immutable version.
 */
export async function normalizeAnalysisKey(ex: Executor, key: unknown): Promise<AnalysisKey> {
  if (key === null || typeof key !== "object" || Array.isArray(key)) throw invalid("must be an object");
  // Own properties only, so nothing can arrive through a prototype.
  const fields: Record<string, unknown> = Object.fromEntries(Object.entries(key));
  const unknown = Object.keys(fields).filter((f) => !FIELDS.has(f));
  if (unknown.length > 0) {
    // Named back to the client, so bounded: a few names, each cut short.
    const named = unknown.slice(0, 3).map((f) => `'${Array.from(f).slice(0, 40).join("")}'`);
    throw invalid(
      `unknown field ${named.join(", ")}${unknown.length > 3 ? ", …" : ""}; use conversation_fs_id, or note_id with note_version`,
    );
  }
  const hasConversation = present(fields.conversation_fs_id);
  const hasNote = present(fields.note_id);
  if (hasConversation && (hasNote || present(fields.note_version))) {
    throw invalid("name either conversation_fs_id, or note_id (+ note_version), not both");
  }
  if (hasConversation) {
    const fsId = checkId("conversation_fs_id", fields.conversation_fs_id);
    await requireConversation(ex, fsId);
    return { conversation_fs_id: fsId };
  }
  if (!hasNote) {
    if (present(fields.note_version)) throw invalid("note_version needs a note_id");
    throw invalid("name a conversation_fs_id, or a note_id (+ note_version)");
  }
  const noteId = checkId("note_id", fields.note_id);
  const wanted = present(fields.note_version) ? parseVersion(fields.note_version) : undefined;
  const latest = await requireLatestVersion(ex, noteId);
  if (wanted !== undefined && wanted > latest) throw noteVersionNotFound(noteId, wanted, latest);
  return { note_id: noteId, note_version: wanted ?? latest };
}
