import { type RawBuilder, sql } from "kysely";
import { z } from "zod";
import { chunks } from "../db/chunks.js";
import type { Database, Executor } from "../db/database.js";
import type { LabelSource } from "../db/schema.js";
import { AppError } from "../errors.js";
import { currentTaxonomy } from "../labels/taxonomy-store.js";
import { toIso } from "../time.js";
import { idSchema, intParam, nameSchema } from "../validation.js";
import { listQuerySchema, toListRange } from "./range.js";
import { fts5Query, MAX_SEARCH_LENGTH, pgQuery, searchWords } from "./search.js";

/**
 * The Items list: conversations and notes in one list, newest activity first
 * (`updated_at` descending; a note's is its latest version's `created_at`),
 * filtered by labels, source, type, time range and full-text search, with
 * keyset pagination over (updated_at, type, id).
 *
 * How a page is found without reading the whole table. Each item kind is
 * queried on its own and the two ordered results merged. Per kind, every
 * positive filter (a label, any of some labels, a rarer source, a search)
 * first asks its index for at most CANDIDATES + 1 matching ids:
 * - one of them has at most CANDIDATES matches: the page is those ids looked
 *   up by primary key, the other filters checked on each, sorted — cost
 *   bounded by CANDIDATES, however big the table;
 * - every one has more: matches are at least CANDIDATES / (items of the
 *   kind) dense, so the page walks the (updated_at, id) index from the
 *   cursor and checks the filters on each row by index probes (EXISTS),
 *   stopping at limit + 1 rows.
 * No COUNT over the table, ever.
 */

export const ITEM_KINDS = ["conversation", "note"] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];
export const LABEL_MODES = ["all", "any", "none"] as const;
export const SOURCES = ["rule", "model", "llm", "manual"] as const;

/** Past this many matches a filter no longer drives the page: rows are walked in time order. */
export const CANDIDATES = 2_000;
const MAX_LABELS = 50;

/** How pages are found (tests force each way); the answer is the same whichever is taken. */
export interface Tuning {
  /** A filter with at most this many matches drives the page. */
  candidates: number;
  /** Whether SQLite may check a common search against its whole match set (else row by row). */
  matchSets: boolean;
}
const DEFAULT_TUNING: Tuning = { candidates: CANDIDATES, matchSets: true };

const TYPE_ALIASES: Record<string, ItemKind[]> = {
  conversations: ["conversation"],
  conversation: ["conversation"],
  notes: ["note"],
  note: ["note"],
};

/** The filters of `GET /api/items` and `GET /api/items/export`. */
export const itemFilterSchema = z.strictObject({
  labels: z
    .union([z.string(), z.array(z.string()).max(MAX_LABELS)])
    .optional()
    .describe(
      "label names, comma-separated or repeated (labels=a&labels=b); each must be a label of the taxonomy or carried by some item",
    ),
  label_mode: z
    .enum(LABEL_MODES)
    .default("all")
    .describe("all: items with every label; any: with at least one; none: with none of them"),
  source: z
    .enum(SOURCES)
    .optional()
    .describe(
      "items with a label from this source; with labels in mode all (any), those labels (one of them) must come from it",
    ),
  type: z
    .enum(["conversations", "notes", "conversation", "note"])
    .optional()
    .describe("conversations or notes; both when absent (the singular is accepted too)"),
  updated_from: listQuerySchema.shape.updated_from,
  updated_until: listQuerySchema.shape.updated_until,
  q: z
    .string()
    .max(MAX_SEARCH_LENGTH)
    .refine((value) => !value.includes("\u0000"), "must not contain NUL (\\u0000) characters")
    .refine((value) => value.isWellFormed(), "must be valid unicode (no lone surrogates)")
    .optional()
    .describe(
      "full-text search: items containing every word (a conversation's subject and messages, a note's latest version); case- and accent-insensitive on SQLite, case-insensitive on PostgreSQL",
    ),
});

export const itemsQuerySchema = itemFilterSchema.extend({
  cursor: z.string().optional().describe("next_cursor of the previous page"),
  limit: intParam(1, 1000).default(100),
});
export type ItemFilterQuery = z.infer<typeof itemFilterSchema>;
export type ItemsQuery = z.infer<typeof itemsQuerySchema>;

export const itemLabelOutput = z.object({
  name: z.string(),
  source: z.enum(SOURCES),
  confidence: z.number(),
});

export const itemSummaryOutput = z.object({
  type: z.enum(ITEM_KINDS),
  id: z.string().describe("the conversation's fs_id or the note's note_id"),
  updated_at: z.string().describe("last activity"),
  preview: z
    .string()
    .describe(
      "the first 200 characters of a conversation's subject and first message, or of a note's latest version",
    ),
  labels: z.array(itemLabelOutput),
});
export type ItemSummary = z.infer<typeof itemSummaryOutput>;
export type ItemLabel = z.infer<typeof itemLabelOutput>;

export const itemsPageOutput = z.object({
  items: z.array(itemSummaryOutput),
  next_cursor: z.string().nullable(),
});

/** Filters, checked and parsed. */
export interface ItemFilter {
  kinds: ItemKind[];
  labels: string[];
  mode: (typeof LABEL_MODES)[number];
  source?: LabelSource;
  from?: number;
  until?: number;
  /** The search string as given (PostgreSQL parses it), and its words (SQLite's query). */
  q?: string;
  words?: string[];
}

/** A position in the list: the (updated_at, type, id) of the last item of a page. */
export interface ItemKey {
  at: number;
  kind: ItemKind;
  id: string;
}

export function encodeItemCursor(key: ItemKey): string {
  return Buffer.from(JSON.stringify([key.at, key.kind === "note" ? "n" : "c", key.id])).toString("base64url");
}

export function decodeItemCursor(cursor: string): ItemKey {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(value) &&
      value.length === 3 &&
      Number.isSafeInteger(value[0]) &&
      (value[1] === "c" || value[1] === "n") &&
      idSchema.safeParse(value[2]).success
    ) {
      return { at: value[0], kind: value[1] === "n" ? "note" : "conversation", id: value[2] };
    }
  } catch {
    // fall through to the error below
  }
  throw new AppError(
    "invalid_cursor",
    "cursor: not a cursor from a previous page of /api/items; omit it to start at the first page",
  );
}

/** The label names of `labels=`: repeated and/or comma-separated, trimmed, each at most once. */
function labelNames(raw: string | string[] | undefined): string[] {
  if (raw === undefined) return [];
  const names = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => v.split(",")).map((v) => v.trim());
  const unique = [...new Set(names.filter((n) => n !== ""))];
  if (unique.length > MAX_LABELS) {
    throw new AppError("validation_failed", `labels: at most ${MAX_LABELS} labels`, { field: "labels" });
  }
  for (const name of unique) {
    if (!nameSchema(100).safeParse(name).success) {
      throw new AppError(
        "validation_failed",
        `labels: '${[...name].slice(0, 40).join("")}' is not a label name`,
        {
          field: "labels",
        },
      );
    }
  }
  return unique;
}

/**
 * Checks and parses the filters. A label name must be one of the current
 * taxonomy's, or carried by some item (a label since dropped from the
 * taxonomy is still found): a typo is a 400 `unknown_label` naming it, not an
 * empty list that looks like an answer.
 */
export async function toItemFilter(ex: Executor, query: ItemFilterQuery): Promise<ItemFilter> {
  const range = toListRange({
    updated_from: query.updated_from,
    updated_until: query.updated_until,
    limit: 1,
  });
  const labels = labelNames(query.labels);
  if (labels.length > 0) {
    const known = new Set((await currentTaxonomy(ex)).labels.map((l) => l.name));
    for (const name of labels) {
      if (known.has(name)) continue;
      const carried = await ex
        .selectFrom("label_assignments")
        .select("label")
        .where("label", "=", name)
        .limit(1)
        .executeTakeFirst();
      if (!carried) {
        throw new AppError("unknown_label", `labels: '${name}' is not a label of the current taxonomy.`, {
          label: name,
        });
      }
    }
  }
  const filter: ItemFilter = {
    kinds: query.type === undefined ? [...ITEM_KINDS] : (TYPE_ALIASES[query.type] ?? [...ITEM_KINDS]),
    labels,
    mode: query.label_mode,
    source: query.source,
    from: range.from,
    until: range.until,
  };
  // An empty or blank search string is no search; one without any word finds nothing.
  if (query.q !== undefined && query.q.trim() !== "") {
    filter.q = query.q;
    filter.words = searchWords(query.q);
  }
  return filter;
}

interface KindSql {
  from: RawBuilder<unknown>;
  id: RawBuilder<unknown>;
  bytes: RawBuilder<unknown>;
  preview(dialect: Database["dialect"]): RawBuilder<unknown>;
}

const KINDS: Record<ItemKind, KindSql> = {
  conversation: {
    from: sql`conversations i`,
    id: sql`i.fs_id`,
    bytes: sql`i.content_bytes`,
    preview: (dialect) =>
      dialect === "postgres"
        ? sql`left(btrim(i.subject || ' ' || coalesce(i.messages -> 0 ->> 'text', '')), 200)`
        : sql`substr(trim(i.subject || ' ' || coalesce(json_extract(i.messages, '$[0].text'), '')), 1, 200)`,
  },
  note: {
    from: sql`notes i join note_versions v on v.note_id = i.note_id and v.version = i.latest_version`,
    id: sql`i.note_id`,
    bytes: sql`v.content_bytes`,
    preview: (dialect) => (dialect === "postgres" ? sql`left(v.text, 200)` : sql`substr(v.text, 1, 200)`),
  },
};

/** One filter on one kind: a check on a row (`i`), and maybe a bounded list of the ids it matches. */
interface Constraint {
  probe: RawBuilder<unknown>;
  candidates?: (limit: number) => RawBuilder<{ id: string }>;
  /**
   * SQLite's search: how many items match (counted up to `limit`), and a check
   * against the whole match set, built once per statement. An FTS5 look-up of one
   * rowid costs ~50 µs; reading a match costs under 1 µs.
   */
  matches?: (limit: number) => RawBuilder<{ n: number }>;
  inMatches?: RawBuilder<unknown>;
}

const list = (values: string[]) =>
  sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );

function labelConstraints(dialect: Database["dialect"], filter: ItemFilter, kind: ItemKind): Constraint[] {
  const id = KINDS[kind].id;
  const fence = dialect === "postgres" ? sql`offset 0` : sql``;
  // The source is one of four fixed words, written into the statement so SQLite can use
  // the partial index on the rarer sources (it cannot see a parameter's value when planning).
  const source = filter.source === undefined ? sql`` : sql`and la.source = ${sql.lit(filter.source)}`;
  const out: Constraint[] = [];
  const assigned = (labels: RawBuilder<unknown>, withSource: RawBuilder<unknown>): Constraint => ({
    // `offset 0` keeps PostgreSQL from turning the probe into a join that reads every
    // assignment of the label: on a walk, a probe per row is the point.
    probe: sql`exists (select 1 from label_assignments la
      where la.item_type = ${kind} and la.item_id = ${id} ${labels} ${withSource} ${fence})`,
    candidates: (limit) => sql<{ id: string }>`select distinct la.item_id as id from label_assignments la
      where la.item_type = ${kind} ${labels} ${withSource} limit ${limit}`,
  });
  if (filter.labels.length > 0 && filter.mode === "all") {
    for (const name of filter.labels) out.push(assigned(sql`and la.label = ${name}`, source));
  } else if (filter.labels.length > 0 && filter.mode === "any") {
    out.push(assigned(sql`and la.label in (${list(filter.labels)})`, source));
  } else {
    if (filter.labels.length > 0) {
      out.push({
        probe: sql`not exists (select 1 from label_assignments la
          where la.item_type = ${kind} and la.item_id = ${id} and la.label in (${list(filter.labels)}) ${fence})`,
      });
    }
    if (filter.source !== undefined) {
      const c = assigned(sql``, source);
      // Rule labels are most of the table: walking items finds them fast; the others have an index.
      if (filter.source === "rule") delete c.candidates;
      else
        c.candidates = (limit) => sql<{
          id: string;
        }>`select distinct la.item_id as id from label_assignments la
          where la.item_type = ${kind} and la.source = ${sql.lit(filter.source)} and la.source <> 'rule'
          limit ${limit}`;
      out.push(c);
    }
  }
  return out;
}

function searchConstraint(
  dialect: Database["dialect"],
  filter: ItemFilter,
  kind: ItemKind,
): Constraint | null {
  if (filter.q === undefined) return null;
  const id = KINDS[kind].id;
  if (dialect === "postgres") {
    const table = kind === "conversation" ? sql`conversation_search` : sql`note_search`;
    const key = kind === "conversation" ? sql`s.fs_id` : sql`s.note_id`;
    const query = pgQuery(filter.q);
    return {
      // A scalar subquery, evaluated row by row: as an EXISTS, PostgreSQL may scan the
      // whole search table instead of walking the time index (it did, for a common word).
      probe: sql`(select s.search from ${table} s where ${key} = ${id}) @@ ${query}`,
      candidates: (limit) =>
        sql<{ id: string }>`select ${key} as id from ${table} s where s.search @@ ${query} limit ${limit}`,
    };
  }
  const table = kind === "conversation" ? sql`conversation_search` : sql`note_search`;
  const match = fts5Query(filter.words ?? []);
  return {
    matches: (limit) => sql<{ n: number }>`select count(*) as n from
      (select rowid from ${table} where ${table} match ${match} limit ${limit})`,
    inMatches: sql`(select s.id from search_ids s where s.item_type = ${kind} and s.item_id = ${id})
      in (select rowid from ${table} where ${table} match ${match})`,
    // The item's rowid first, then one look-up of it in the match: FTS5 takes `rowid = ?`
    // with MATCH as one constraint (a join could run the whole match per row instead).
    probe: sql`exists (select 1 from ${table} f
      where f.rowid = (select s.id from search_ids s where s.item_type = ${kind} and s.item_id = ${id})
        and ${table} match ${match})`,
    candidates: (limit) => sql<{ id: string }>`select s.item_id as id from ${table} f
      join search_ids s on s.id = f.rowid where ${table} match ${match} limit ${limit}`,
  };
}

export interface KeyRow {
  kind: ItemKind;
  id: string;
  at: number;
  bytes: number;
  preview: string;
}

/** True when the filter can match nothing (a search without a single word). */
function matchesNothing(filter: ItemFilter): boolean {
  return filter.q !== undefined && (filter.words ?? []).length === 0;
}

/**
 * Up to `limit` rows of one kind after `after`, newest first, with their
 * size and preview (never their whole content).
 */
async function kindRows(
  database: Database,
  ex: Executor,
  kind: ItemKind,
  filter: ItemFilter,
  after: ItemKey | undefined,
  limit: number,
  tuning: Tuning,
): Promise<KeyRow[]> {
  const { candidates } = tuning;
  const k = KINDS[kind];
  const dialect = database.dialect;
  const constraints = labelConstraints(dialect, filter, kind);
  const search = searchConstraint(dialect, filter, kind);
  if (search) constraints.push(search);

  let driver: string[] | undefined;
  let driving: Constraint | undefined;
  for (const c of constraints) {
    if (!c.candidates) continue;
    const ids = (await c.candidates(candidates + 1).execute(ex)).rows.map((r) => r.id);
    if (ids.length <= candidates && (driver === undefined || ids.length < driver.length)) {
      driver = ids;
      driving = c;
    }
    if (driver?.length === 0) return [];
  }

  // A search too common to drive the page: rows are walked in time order, and checked
  // against the set of its matches when reading them all costs less than looking rows
  // up one by one: m matches cost ~m µs, a walk ~50 µs × limit × total / m.
  const probes = new Map(constraints.map((c) => [c, c.probe]));
  if (!driver && tuning.matchSets) {
    for (const c of constraints) {
      if (!c.matches || !c.inMatches) continue;
      const total = Number(
        (await sql<{ n: number }>`select coalesce(max(id), 0) as n from search_ids`.execute(ex)).rows[0]?.n ??
          0,
      );
      const threshold = Math.max(candidates, Math.round(Math.sqrt(50 * limit * total)));
      const n = Number((await c.matches(threshold + 1).execute(ex)).rows[0]?.n ?? 0);
      if (n <= threshold) probes.set(c, c.inMatches);
    }
  }

  // Driven by a short list of ids, the time index must not be used (SQLite would walk it
  // to spare a sort): `+` makes the column an expression there. PostgreSQL plans by estimates.
  const at = driver && dialect === "sqlite" ? sql`+i.updated_at` : sql`i.updated_at`;
  // The constraint that gave the ids needs no check on them.
  const where = constraints.filter((c) => c !== driving).map((c) => probes.get(c) as RawBuilder<unknown>);
  if (driver) where.push(sql`${k.id} in (${list(driver)})`);
  if (filter.from !== undefined) where.push(sql`${at} >= ${filter.from}`);
  if (filter.until !== undefined) where.push(sql`${at} <= ${filter.until}`);
  if (after) {
    // Descending (updated_at, type, id), notes before conversations at equal times.
    if (after.kind === kind) where.push(sql`(${at}, ${k.id}) < (${after.at}, ${after.id})`);
    else if (kind === "conversation") where.push(sql`${at} <= ${after.at}`);
    else where.push(sql`${at} < ${after.at}`);
  }
  const condition = where.length === 0 ? sql`` : sql`where ${sql.join(where, sql` and `)}`;
  const query = sql<{ id: string; at: number; bytes: number; preview: string | null }>`
    select ${k.id} as id, i.updated_at as at, ${k.bytes} as bytes, ${k.preview(dialect)} as preview
    from ${k.from} ${condition}
    order by ${at} desc, ${k.id} desc
    limit ${limit}`;
  // A walk's estimated cost (a probe per row of the table) is far above what it runs
  // (it stops at `limit` rows), enough for PostgreSQL to JIT-compile it: ~80 ms, each time.
  const rows =
    dialect === "postgres" && constraints.length > 0
      ? await ex.transaction().execute(async (trx) => {
          await sql`set local jit = off`.execute(trx);
          return query.execute(trx);
        })
      : await query.execute(ex);
  return rows.rows.map((r) => ({
    kind,
    id: r.id,
    at: Number(r.at),
    bytes: Number(r.bytes),
    preview: r.preview ?? "",
  }));
}

const before = (a: KeyRow, b: KeyRow) =>
  a.at !== b.at ? a.at > b.at : a.kind !== b.kind ? a.kind === "note" : a.id > b.id;

/**
 * The next `limit` rows of the list after `after` (and whether more follow):
 * each kind's own ordered rows, merged.
 */
export async function itemKeys(
  database: Database,
  filter: ItemFilter,
  after: ItemKey | undefined,
  limit: number,
  tuning: Tuning = DEFAULT_TUNING,
): Promise<{ rows: KeyRow[]; more: boolean }> {
  if (matchesNothing(filter)) return { rows: [], more: false };
  const ex = database.db;
  const perKind = await Promise.all(
    filter.kinds.map((kind) => kindRows(database, ex, kind, filter, after, limit + 1, tuning)),
  );
  // Merge: each list is already in order; only heads of different kinds are compared.
  const merged: KeyRow[] = [];
  const heads = perKind.map(() => 0);
  while (merged.length < limit + 1) {
    let best = -1;
    for (let i = 0; i < perKind.length; i++) {
      const row = perKind[i]?.[heads[i] as number];
      if (!row) continue;
      const current = best < 0 ? undefined : perKind[best]?.[heads[best] as number];
      if (!current || before(row, current)) best = i;
    }
    if (best < 0) break;
    merged.push(perKind[best]?.[heads[best] as number] as KeyRow);
    heads[best] = (heads[best] as number) + 1;
  }
  return { rows: merged.slice(0, limit), more: merged.length > limit };
}

/** The current labels (name, source, confidence) of many items of one kind, one query per chunk. */
export async function itemLabels(
  ex: Executor,
  kind: ItemKind,
  ids: string[],
): Promise<Map<string, ItemLabel[]>> {
  const out = new Map<string, ItemLabel[]>(ids.map((id) => [id, []]));
  for (const part of chunks([...new Set(ids)])) {
    const rows = await ex
      .selectFrom("label_assignments")
      .select(["item_id", "label", "source", "confidence"])
      .where("item_type", "=", kind)
      .where("item_id", "in", part)
      .orderBy("item_id")
      .orderBy("label")
      .execute();
    for (const r of rows) {
      out.get(r.item_id)?.push({ name: r.label, source: r.source, confidence: Number(r.confidence) });
    }
  }
  return out;
}

/** Labels of rows of both kinds, keyed `kind:id`. */
export async function labelsOfRows(ex: Executor, rows: { kind: ItemKind; id: string }[]) {
  const out = new Map<string, ItemLabel[]>();
  for (const kind of ITEM_KINDS) {
    const ids = rows.filter((r) => r.kind === kind).map((r) => r.id);
    if (ids.length === 0) continue;
    for (const [id, labels] of await itemLabels(ex, kind, ids)) out.set(`${kind}:${id}`, labels);
  }
  return out;
}

export const keyOf = (row: KeyRow): ItemKey => ({ at: row.at, kind: row.kind, id: row.id });

/** A page of the Items list. */
export async function listItems(
  database: Database,
  filter: ItemFilter,
  after: ItemKey | undefined,
  limit: number,
  tuning: Tuning = DEFAULT_TUNING,
): Promise<z.infer<typeof itemsPageOutput>> {
  const { rows, more } = await itemKeys(database, filter, after, limit, tuning);
  const labels = await labelsOfRows(database.db, rows);
  const last = rows[rows.length - 1];
  return {
    items: rows.map((r) => ({
      type: r.kind,
      id: r.id,
      updated_at: toIso(r.at),
      preview: r.preview,
      labels: labels.get(`${r.kind}:${r.id}`) ?? [],
    })),
    next_cursor: more && last ? encodeItemCursor(keyOf(last)) : null,
  };
}
