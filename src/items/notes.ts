import { sql } from "kysely";
import { z } from "zod";
import { chunks } from "../db/chunks.js";
import type { Database, Executor } from "../db/database.js";
import { readJson } from "../db/schema.js";
import { AppError } from "../errors.js";
import { type Label, labelOutput, labelsOf } from "../labels/assignments.js";
import { parseTimestamp, toIso } from "../time.js";
import { jsonObjectSchema, textSchema, timestampInput } from "../validation.js";
import { noteVersionContent } from "./content.js";
import { type Page, pageRows, toPage } from "./cursor.js";
import { deleteDerived } from "./derived.js";
import type { ListRange } from "./range.js";

/** The body of `POST /api/notes/:note_id/versions`. */
export const noteVersionInput = z.strictObject({
  text: textSchema(1_000_000),
  metadata: jsonObjectSchema.optional(),
  created_at: timestampInput.optional(),
});
export type NoteVersionInput = z.infer<typeof noteVersionInput>;

export const noteVersionOutput = z.object({
  note_id: z.string(),
  version: z.number().int(),
  text: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  created_at: z.string(),
});
export type NoteVersion = z.infer<typeof noteVersionOutput>;

export const noteOutput = noteVersionOutput.extend({
  latest_version: z.number().int(),
  first_created_at: z.string().describe("when version 1 was created"),
  labels: z.array(labelOutput),
  analyzed_version: z
    .number()
    .int()
    .nullable()
    .describe("the version the labels come from; null until analyzed"),
});
export type Note = z.infer<typeof noteOutput>;

interface VersionRow {
  note_id: string;
  version: number;
  text: string;
  metadata: unknown;
  created_at: number;
}

function toVersion(row: VersionRow): NoteVersion {
  return {
    note_id: row.note_id,
    version: row.version,
    text: row.text,
    metadata: readJson(row.metadata),
    created_at: toIso(row.created_at),
  };
}

export function noteNotFound(noteId: string): AppError {
  return new AppError("note_not_found", `No note with note_id '${noteId}'.`, { note_id: noteId });
}

export function noteVersionNotFound(noteId: string, version: number, latest: number): AppError {
  return new AppError(
    "note_version_not_found",
    `Note '${noteId}' has no version ${version}; its latest version is ${latest}.`,
    { note_id: noteId, version, latest_version: latest },
  );
}

/**
 * Appends version n+1. The upsert on `notes` takes that row's lock (or, on
 * SQLite, the transaction holds the write lock), so concurrent appends from
 * any number of processes get consecutive numbers: no gaps, no duplicates.
 */
export async function appendNoteVersion(
  trx: Executor,
  noteId: string,
  input: NoteVersionInput,
  now = Date.now(),
): Promise<NoteVersion> {
  const createdAt = input.created_at === undefined ? now : parseTimestamp(input.created_at, "created_at");
  const { latest_version: version } = await trx
    .insertInto("notes")
    .values({ note_id: noteId, latest_version: 1, created_at: createdAt, updated_at: createdAt })
    .onConflict((oc) =>
      oc.column("note_id").doUpdateSet((eb) => ({
        latest_version: eb("notes.latest_version", "+", 1),
        updated_at: createdAt,
      })),
    )
    .returning("latest_version")
    .executeTakeFirstOrThrow();
  const metadata = JSON.stringify(input.metadata ?? {});
  const row = {
    note_id: noteId,
    version,
    text: input.text,
    metadata,
    created_at: createdAt,
    ...noteVersionContent(input.text, metadata),
  };
  await trx.insertInto("note_versions").values(row).execute();
  return toVersion({ ...row, metadata: input.metadata ?? {} });
}

/**
 * The number of a version of the note with exactly this text and metadata,
 * if it has one. Versions written before fingerprints (migration 0008) have
 * none: for them, the same text is enough, as it was then.
 */
async function identicalVersion(trx: Executor, noteId: string, input: NoteVersionInput) {
  const { content_hash } = noteVersionContent(input.text, JSON.stringify(input.metadata ?? {}));
  const row = await trx
    .selectFrom("note_versions")
    .select("version")
    .where("note_id", "=", noteId)
    .where((eb) =>
      eb.or([
        eb("content_hash", "=", content_hash),
        eb.and([eb("content_hash", "is", null), eb("text", "=", input.text)]),
      ]),
    )
    .orderBy("version")
    .executeTakeFirst();
  return row?.version;
}

export type ImportedVersion =
  | { outcome: "appended"; version: NoteVersion }
  | { outcome: "skipped"; version: number };

/**
 * Import semantics, so a file can be loaded twice, or again after an import
 * stopped halfway. With a version: one that exists with the same text is
 * skipped, with other text it is a conflict; a version past latest + 1 would
 * leave a gap. Without a version: a line identical (text and metadata) to any
 * version the note already has is skipped, whatever the order of the lines;
 * anything else appends. (So an import never records a note going back to an
 * earlier text; `POST /api/notes/:note_id/versions` does.)
 */
export async function importNoteVersion(
  trx: Executor,
  dialect: Database["dialect"],
  noteId: string,
  input: NoteVersionInput,
  version: number | undefined,
): Promise<ImportedVersion> {
  // Two imports of the same note must not both decide "new" before either appends (the
  // note's row may not exist yet to lock): PostgreSQL serializes them per note id here;
  // SQLite's write transaction already does.
  if (dialect === "postgres") {
    await sql`select pg_advisory_xact_lock(hashtextextended(current_schema() || ':note:' || ${noteId}, 0))`.execute(
      trx,
    );
  }
  if (version === undefined) {
    const same = await identicalVersion(trx, noteId, input);
    if (same !== undefined) return { outcome: "skipped", version: same };
    return { outcome: "appended", version: await appendNoteVersion(trx, noteId, input) };
  }
  const note = await trx
    .selectFrom("notes")
    .select("latest_version")
    .where("note_id", "=", noteId)
    .executeTakeFirst();
  const latest = note?.latest_version ?? 0;
  if (version <= latest) {
    const existing = await trx
      .selectFrom("note_versions")
      .select("text")
      .where("note_id", "=", noteId)
      .where("version", "=", version)
      .executeTakeFirstOrThrow();
    if (existing.text === input.text) return { outcome: "skipped", version };
    throw new AppError(
      "note_version_conflict",
      `note '${noteId}' version ${version} already exists with other text; versions are immutable`,
    );
  }
  if (version !== latest + 1) {
    throw new AppError(
      "note_version_conflict",
      `note '${noteId}' version ${version} would leave a gap: the latest version is ${latest}`,
    );
  }
  return { outcome: "appended", version: await appendNoteVersion(trx, noteId, input) };
}

/** Each note joined with its latest version, for the caller to select from. */
export function notesWithLatestVersion(ex: Executor) {
  return ex
    .selectFrom("notes")
    .innerJoin("note_versions", (join) =>
      join
        .onRef("note_versions.note_id", "=", "notes.note_id")
        .onRef("note_versions.version", "=", "notes.latest_version"),
    );
}

/** Each note joined with its latest version. */
function selectLatestVersions(ex: Executor) {
  return notesWithLatestVersion(ex).select([
    "notes.note_id",
    "notes.latest_version",
    "notes.created_at as first_created_at",
    "notes.updated_at",
    "notes.analyzed_version",
    "note_versions.version",
    "note_versions.text",
    "note_versions.metadata",
    "note_versions.created_at",
  ]);
}

export async function getNote(ex: Executor, noteId: string): Promise<Note> {
  const row = await selectLatestVersions(ex).where("notes.note_id", "=", noteId).executeTakeFirst();
  if (!row) throw noteNotFound(noteId);
  return toNote(row, (await labelsOf(ex, "note", [noteId])).get(noteId));
}

function toNote(
  row: VersionRow & { latest_version: number; first_created_at: number; analyzed_version: number | null },
  labels: Label[] = [],
): Note {
  return {
    ...toVersion(row),
    latest_version: row.latest_version,
    first_created_at: toIso(row.first_created_at),
    labels,
    analyzed_version: row.analyzed_version,
  };
}

/** The note's latest version number; throws `note_not_found` if there is no such note. */
export async function requireLatestVersion(ex: Executor, noteId: string): Promise<number> {
  const note = await ex
    .selectFrom("notes")
    .select("latest_version")
    .where("note_id", "=", noteId)
    .executeTakeFirst();
  if (!note) throw noteNotFound(noteId);
  return note.latest_version;
}

export async function getNoteVersion(ex: Executor, noteId: string, version: number): Promise<NoteVersion> {
  const row = await ex
    .selectFrom("note_versions")
    .selectAll()
    .where("note_id", "=", noteId)
    .where("version", "=", version)
    .executeTakeFirst();
  if (row) return toVersion(row);
  throw noteVersionNotFound(noteId, version, await requireLatestVersion(ex, noteId));
}

/**
 * Notes in order of their latest version's created_at (their last activity);
 * a page is bounded by count and by size (see page-budget.ts).
 */
export async function listNotes(ex: Executor, range: ListRange): Promise<Page<Note>> {
  let query = notesWithLatestVersion(ex)
    .select(["notes.note_id", "notes.updated_at", "note_versions.content_bytes"])
    .orderBy("notes.updated_at")
    .orderBy("notes.note_id")
    .limit(range.limit + 1);
  if (range.from !== undefined) query = query.where("notes.updated_at", ">=", range.from);
  if (range.until !== undefined) query = query.where("notes.updated_at", "<=", range.until);
  const after = range.after;
  if (after) {
    query = query.where((eb) =>
      eb(eb.refTuple("notes.updated_at", "notes.note_id"), ">", eb.tuple(after.at, after.id)),
    );
  }
  const { kept, more } = pageRows(await query.execute(), range.limit);
  const ids = kept.map((r) => r.note_id);
  const rows = new Map<string, Parameters<typeof toNote>[0]>();
  for (const part of chunks(ids)) {
    for (const row of await selectLatestVersions(ex).where("notes.note_id", "in", part).execute())
      rows.set(row.note_id, row);
  }
  const labels = await labelsOf(ex, "note", ids);
  return toPage(
    kept,
    more,
    (r) => ({ at: r.updated_at, id: r.note_id }),
    (r) => {
      const row = rows.get(r.note_id);
      return row && toNote(row, labels.get(r.note_id));
    },
  );
}

/**
 * Erases a note, all its versions and everything derived from them: the
 * note's row first, which locks it (see derived.ts).
 */
export async function deleteNote(trx: Executor, noteId: string): Promise<void> {
  const result = await trx.deleteFrom("notes").where("note_id", "=", noteId).executeTakeFirst();
  if (result.numDeletedRows === 0n) throw noteNotFound(noteId);
  await trx.deleteFrom("note_versions").where("note_id", "=", noteId).execute();
  await deleteDerived(trx, "note", noteId);
}
