import { z } from "zod";
import { chunks } from "../db/chunks.js";
import type { Executor } from "../db/database.js";
import { readJson } from "../db/schema.js";
import { AppError } from "../errors.js";
import { type Label, labelOutput, labelsOf } from "../labels/assignments.js";
import { parseTimestamp, toIso } from "../time.js";
import { jsonObjectSchema, textSchema, timestampInput } from "../validation.js";
import { conversationContent } from "./content.js";
import { type Page, pageRows, toPage } from "./cursor.js";
import { deleteDerived } from "./derived.js";
import type { ListRange } from "./range.js";

export const ROLES = ["customer", "agent", "system"] as const;

const messageInput = z.strictObject({
  role: z.enum(ROLES),
  text: textSchema(100_000),
  at: timestampInput.optional(),
});

/** The body of `PUT /api/conversations/:fs_id` (and, with `type` and `fs_id`, an import line). */
export const conversationInput = z.strictObject({
  subject: textSchema(1_000).optional(),
  messages: z.array(messageInput).max(5_000).optional(),
  metadata: jsonObjectSchema.optional(),
  created_at: timestampInput.optional(),
  updated_at: timestampInput.optional(),
});
export type ConversationInput = z.infer<typeof conversationInput>;

export const conversationOutput = z.object({
  fs_id: z.string(),
  subject: z.string(),
  messages: z.array(z.object({ role: z.enum(ROLES), text: z.string(), at: z.string().nullable() })),
  metadata: z.record(z.string(), z.unknown()),
  created_at: z.string(),
  updated_at: z.string(),
  labels: z.array(labelOutput),
});
export type Conversation = z.infer<typeof conversationOutput>;

interface StoredMessage {
  role: (typeof ROLES)[number];
  text: string;
  at: number | null;
}

interface ConversationRow {
  fs_id: string;
  subject: string;
  messages: unknown;
  metadata: unknown;
  created_at: number;
  updated_at: number;
}

function toConversation(row: ConversationRow, labels: Label[] = []): Conversation {
  return {
    fs_id: row.fs_id,
    subject: row.subject,
    messages: readJson<StoredMessage[]>(row.messages).map((m) => ({
      role: m.role,
      text: m.text,
      at: m.at === null ? null : toIso(m.at),
    })),
    metadata: readJson(row.metadata),
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
    labels,
  };
}

export function conversationNotFound(fsId: string): AppError {
  return new AppError("conversation_not_found", `No conversation with fs_id '${fsId}'.`, { fs_id: fsId });
}

/**
 * Creates or replaces a conversation. A replacement that omits `created_at`
 * keeps the stored one (the conversation did not start anew); `updated_at`
 * defaults to now. Timestamps are checked before anything is written.
 */
export async function putConversation(
  trx: Executor,
  fsId: string,
  input: ConversationInput,
  now = Date.now(),
): Promise<{ conversation: Conversation; created: boolean }> {
  const messages: StoredMessage[] = (input.messages ?? []).map((m, i) => ({
    role: m.role,
    text: m.text,
    at: m.at === undefined ? null : parseTimestamp(m.at, `messages[${i}].at`),
  }));
  const createdAt =
    input.created_at === undefined ? undefined : parseTimestamp(input.created_at, "created_at");
  const updatedAt = input.updated_at === undefined ? now : parseTimestamp(input.updated_at, "updated_at");
  if (createdAt !== undefined && createdAt > updatedAt) {
    throw new AppError("validation_failed", "created_at is after updated_at", { field: "created_at" });
  }
  const existed = await trx
    .selectFrom("conversations")
    .select("fs_id")
    .where("fs_id", "=", fsId)
    .executeTakeFirst();
  const row = {
    fs_id: fsId,
    subject: input.subject ?? "",
    messages: JSON.stringify(messages),
    metadata: JSON.stringify(input.metadata ?? {}),
    created_at: createdAt ?? Math.min(now, updatedAt),
    updated_at: updatedAt,
    ...conversationContent(input.subject ?? "", messages, JSON.stringify(input.metadata ?? {})),
  };
  // An upsert, not "update if it existed": a row deleted or created by a concurrent
  // request since the read above is written all the same, never lost or doubled; a
  // replacement without created_at keeps the stored one, whatever row is there by then.
  const stored = await trx
    .insertInto("conversations")
    .values(row)
    .onConflict((oc) =>
      oc.column("fs_id").doUpdateSet((eb) => ({
        subject: eb.ref("excluded.subject"),
        messages: eb.ref("excluded.messages"),
        metadata: eb.ref("excluded.metadata"),
        created_at:
          createdAt === undefined ? eb.ref("conversations.created_at") : eb.ref("excluded.created_at"),
        updated_at: eb.ref("excluded.updated_at"),
        content_hash: eb.ref("excluded.content_hash"),
        content_bytes: eb.ref("excluded.content_bytes"),
      })),
    )
    .returning("created_at")
    .executeTakeFirstOrThrow();
  return {
    conversation: toConversation({
      ...row,
      created_at: stored.created_at,
      messages,
      metadata: input.metadata ?? {},
    }),
    // From the read above: a race with another request's PUT or DELETE may make it 200 for 201.
    created: !existed,
  };
}

/** Throws `conversation_not_found` unless the conversation exists. */
export async function requireConversation(ex: Executor, fsId: string): Promise<void> {
  const row = await ex
    .selectFrom("conversations")
    .select("fs_id")
    .where("fs_id", "=", fsId)
    .executeTakeFirst();
  if (!row) throw conversationNotFound(fsId);
}

export async function getConversation(ex: Executor, fsId: string): Promise<Conversation> {
  const row = await ex.selectFrom("conversations").selectAll().where("fs_id", "=", fsId).executeTakeFirst();
  if (!row) throw conversationNotFound(fsId);
  return toConversation(row, (await labelsOf(ex, "conversation", [fsId])).get(fsId));
}

/** Conversations by last activity; a page is bounded by count and by size (see page-budget.ts). */
export async function listConversations(ex: Executor, range: ListRange): Promise<Page<Conversation>> {
  let query = ex
    .selectFrom("conversations")
    .select(["fs_id", "updated_at", "content_bytes"])
    .orderBy("updated_at")
    .orderBy("fs_id")
    .limit(range.limit + 1);
  if (range.from !== undefined) query = query.where("updated_at", ">=", range.from);
  if (range.until !== undefined) query = query.where("updated_at", "<=", range.until);
  const after = range.after;
  if (after) {
    query = query.where((eb) => eb(eb.refTuple("updated_at", "fs_id"), ">", eb.tuple(after.at, after.id)));
  }
  const { kept, more } = pageRows(await query.execute(), range.limit);
  const ids = kept.map((r) => r.fs_id);
  const rows = new Map<string, ConversationRow>();
  for (const part of chunks(ids)) {
    for (const row of await ex.selectFrom("conversations").selectAll().where("fs_id", "in", part).execute())
      rows.set(row.fs_id, row);
  }
  const labels = await labelsOf(ex, "conversation", ids);
  return toPage(
    kept,
    more,
    (r) => ({ at: r.updated_at, id: r.fs_id }),
    (r) => {
      const row = rows.get(r.fs_id);
      return row && toConversation(row, labels.get(r.fs_id));
    },
  );
}

/** Erases a conversation and everything derived from it: its row first, which locks it (see derived.ts). */
export async function deleteConversation(trx: Executor, fsId: string): Promise<void> {
  const result = await trx.deleteFrom("conversations").where("fs_id", "=", fsId).executeTakeFirst();
  if (result.numDeletedRows === 0n) throw conversationNotFound(fsId);
  await deleteDerived(trx, "conversation", fsId);
}
