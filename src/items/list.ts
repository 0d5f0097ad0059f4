import { type RawBuilder, sql } from "kysely";
import { z } from "zod";
import { chunks } from "../db/chunks.js";
import type { Database, Executor } from "../db/database.js";
import type { LabelSource } from "../db/schema.js";
import { AppError } from "../errors.js";
import { currentTaxonomy } from "../labels/taxonomy-store.js";
import { toIso } from "../time.js";
import { idSchema, intParam, nameSchema } from "../validation.js";
import { ITEM_TYPES, itemTypeQuery, listQuerySchema, toListRange } from "./range.js";
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
  /** Whether several filters are counted to choose a plan (steps 2 and 3 of kindRows); else rows are walked. */
  plans: boolean;
  /** Filters are counted up to this many matches; past it, a filter is taken as dense. */
  countCap: number;
  /** Rows walked before the rarest of several filters drives the page (else chosen by cost). */
  walk?: number;
  /** Whether one filter's short list of matches may drive the page on its own (step 1). */
  single?: boolean;
}
/** A lone label filter with at most this many items is looked up as a set while walking. */
const SET_CAP = 20_000;
/** Filters counted up to this many matches: ~20 ms on SQLite for a label's index. */
export const COUNT_CAP = 100_000;
const DEFAULT_TUNING: Tuning = { candidates: CANDIDATES, matchSets: true, plans: true, countCap: COUNT_CAP };

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
  type: itemTypeQuery,
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
    kinds: query.type === undefined ? [...ITEM_KINDS] : [ITEM_TYPES[query.type]],
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
  /** A check that costs far more than a label's (a search: ~50 µs a row on SQLite): made on as few rows as possible. */
  costly?: boolean;
  /**
   * How many items match, estimated from the planner's statistics (PostgreSQL's search,
   * where counting reads each match's row, ~10 µs); undefined without statistics.
   */
  estimate?: (ex: Executor) => Promise<number | undefined>;
}

/**
 * Items whose tsvector holds every word, from the statistics ANALYZE keeps of the
 * column (its most common lexemes and their shares; a word not among them is taken as
 * rare as the rarest one listed), words taken as independent. Undefined before ANALYZE.
 */
async function estimateSearch(ex: Executor, table: string, words: string[]): Promise<number | undefined> {
  const { rows } = await sql<{ elems: string[] | null; freqs: number[] | null; n: number }>`
    select s.most_common_elems::text::text[] as elems, s.most_common_elem_freqs as freqs,
      greatest(c.reltuples, 0) as n
    from pg_stats s join pg_class c on c.oid = to_regclass(${table})
    where s.schemaname = current_schema() and s.tablename = ${table} and s.attname = 'search'`.execute(ex);
  const row = rows[0];
  if (!row?.elems || !row.freqs || words.length === 0) return undefined;
  const share = new Map(row.elems.map((e, i) => [e, Number(row.freqs?.[i])]));
  // After the shares of the elements: the least and the greatest of them.
  const least = Number(row.freqs[row.elems.length] ?? 0);
  const frequency = words.reduce((f, w) => f * (share.get(w) ?? least), 1);
  return Math.round(frequency * Number(row.n));
}

const list = (values: string[]) =>
  sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );

function labelConstraints(
  dialect: Database["dialect"],
  filter: ItemFilter,
  kind: ItemKind,
  id: RawBuilder<unknown> = KINDS[kind].id,
): Constraint[] {
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
  id: RawBuilder<unknown> = KINDS[kind].id,
): Constraint | null {
  if (filter.q === undefined) return null;
  if (dialect === "postgres") {
    const table = kind === "conversation" ? sql`conversation_search` : sql`note_search`;
    const key = kind === "conversation" ? sql`s.fs_id` : sql`s.note_id`;
    const query = pgQuery(filter.q);
    return {
      costly: true,
      matches: (limit) => sql<{ n: number }>`select count(*) as n from
        (select 1 from ${table} s where s.search @@ ${query} limit ${limit}) m`,
      estimate: (ex) =>
        estimateSearch(
          ex,
          kind === "conversation" ? "conversation_search" : "note_search",
          filter.words ?? [],
        ),
      // Read once into a hashed set: inside a function call, the subquery is never made a
      // join (as a top-level IN, it became one that read the whole time index first).
      inMatches: sql`coalesce(${id} in (select ${key} from ${table} s where s.search @@ ${query}), false)`,
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
    costly: true,
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

interface Key {
  id: string;
  at: number;
}

/** The items of a kind as one table (no join): its time index and its primary key. */
const TABLES: Record<ItemKind, RawBuilder<unknown>> = {
  conversation: sql`conversations i`,
  note: sql`notes i`,
};

const and = (terms: RawBuilder<unknown>[]) =>
  terms.length === 0 ? sql`` : sql`where ${sql.join(terms, sql` and `)}`;

/** Rows of this kind that come after `key` in the list (descending (updated_at, type, id)). */
function afterKey(kind: ItemKind, at: RawBuilder<unknown>, key: ItemKey): RawBuilder<unknown> {
  const id = KINDS[kind].id;
  // Notes before conversations at equal times.
  if (key.kind === kind) return sql`(${at}, ${id}) < (${key.at}, ${key.id})`;
  if (kind === "conversation") return sql`${at} <= ${key.at}`;
  return sql`${at} < ${key.at}`;
}

/** Items of one kind, an estimate (for costs only): PostgreSQL's statistics, SQLite's largest rowid. */
async function kindTotal(database: Database, ex: Executor, kind: ItemKind): Promise<number> {
  const q =
    database.dialect === "postgres"
      ? sql<{ n: number }>`select greatest(reltuples, 0) as n from pg_class
          where oid = to_regclass(${kind === "conversation" ? "conversations" : "notes"})`
      : sql<{ n: number }>`select coalesce(max(rowid), 0) as n from ${TABLES[kind]}`;
  return Math.max(1, Number((await q.execute(ex)).rows[0]?.n ?? 0));
}

/**
 * Up to how many matches a search is checked against the set of them rather than row by
 * row: m matches cost m × (reading one), a walk limit × total / m × (one look-up). A look-up
 * costs ~50× a read on SQLite (FTS5), ~5× on PostgreSQL (a tsvector read and matched,
 * against a GIN match read with its heap row).
 */
function matchSetThreshold(dialect: Database["dialect"], candidates: number, limit: number, total: number) {
  return Math.max(candidates, Math.round(Math.sqrt((dialect === "sqlite" ? 50 : 5) * limit * total)));
}

/** How many ids a filter matches, counted up to `cap` (`cap + 1`: more). */
async function countUpTo(ex: Executor, c: Constraint, cap: number): Promise<number> {
  const q = c.matches
    ? c.matches(cap + 1)
    : sql<{
        n: number;
      }>`select count(*) as n from (${(c.candidates as (l: number) => RawBuilder<unknown>)(cap + 1)}) x`;
  return Number((await q.execute(ex)).rows[0]?.n ?? 0);
}

/**
 * Up to `limit` rows of one kind after `after`, newest first, with their
 * size and preview (never their whole content).
 *
 * Keys first: each way below finds the page's (id, updated_at) from indexes
 * only (on SQLite a walk that read every row it passed, for its preview, was
 * 4× slower), then reads the rows of those ids. The ways, cheapest first:
 * 1. a filter with at most `candidates` matches: those ids drive the page;
 * 2. several filters, none that short, each counted (up to `countCap`; a
 *    search only up to the rarest label's count):
 *    - no other filter is a search (all of two labels, a label and a rarer
 *      search): if a walk in time order would find a page sooner than the
 *      rarest filter's matches can be read (filters taken as independent),
 *      rows are walked, but only twice as far as that: past it (filters that
 *      rarely meet, as two labels seldom on one item), the rarest filter's
 *      matches are checked against the others by index probes, without
 *      reading an item; at most `candidates` of them drive the page, else
 *      matches are dense and rows are walked;
 *    - a search with a rarer label: rows are walked on the time index alone,
 *      each looked up in the label's items (read once into a set), and the
 *      search checked only on rows that passed the cheap filters;
 * 3. otherwise rows are walked in time order and each is checked (the cheap
 *    checks first: a search only on rows that passed them).
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
  const build = (id?: RawBuilder<unknown>) => {
    const out = labelConstraints(dialect, filter, kind, id);
    const search = searchConstraint(dialect, filter, kind, id);
    if (search) out.push(search);
    return out;
  };
  const constraints = build();
  const candidatesOf = (c: Constraint, max: number) =>
    (c.candidates as (l: number) => RawBuilder<{ id: string }>)(max);

  let driver: string[] | undefined;
  let driving: Constraint | undefined;
  for (const c of constraints) {
    if (!c.candidates || tuning.single === false) continue;
    const ids = (await c.candidates(candidates + 1).execute(ex)).rows.map((r) => r.id);
    if (ids.length <= candidates && (driver === undefined || ids.length < driver.length)) {
      driver = ids;
      driving = c;
    }
    if (driver?.length === 0) return [];
  }

  /** The checks of `cs` as terms, a search's only on rows that passed the others (it costs ~20× more). */
  const checks = (cs: Constraint[], probeOf: (c: Constraint) => RawBuilder<unknown> = (c) => c.probe) => {
    const cheap = cs.filter((c) => !c.costly).map(probeOf);
    const costly = cs.filter((c) => c.costly).map(probeOf);
    if (cheap.length === 0 || costly.length === 0) return [...cheap, ...costly];
    // One term, so that the planner cannot move the search ahead (SQLite did).
    return [
      sql`(case when ${sql.join(cheap, sql` and `)} then ${sql.join(costly, sql` and `)} else false end)`,
    ];
  };
  const scope = (at: RawBuilder<unknown>) => {
    const terms: RawBuilder<unknown>[] = [];
    if (filter.from !== undefined) terms.push(sql`${at} >= ${filter.from}`);
    if (filter.until !== undefined) terms.push(sql`${at} <= ${filter.until}`);
    if (after) terms.push(afterKey(kind, at, after));
    return terms;
  };
  // Driven by a list of ids, the time index must not be used (SQLite would walk it to
  // spare a sort): `+` makes the column an expression there. PostgreSQL plans by estimates.
  const sortAt = dialect === "sqlite" ? sql`+i.updated_at` : sql`i.updated_at`;
  /** Keys of rows meeting `where`, newest first: driven by ids in `where`, or walked in time order. */
  const keys = async (where: RawBuilder<unknown>[], max: number, driven: boolean): Promise<Key[]> => {
    if (max <= 0) return [];
    const at = driven ? sortAt : sql`i.updated_at`;
    const query = sql<Key>`select ${k.id} as id, i.updated_at as at from ${TABLES[kind]}
      ${and([...where, ...scope(at)])} order by ${at} desc, ${k.id} desc limit ${max}`;
    // A walk's estimated cost (a probe per row of the table) is far above what it runs
    // (it stops at `limit` rows), enough for PostgreSQL to JIT-compile it: ~80 ms, each time.
    const { rows } =
      dialect === "postgres" && where.length > 0
        ? await ex.transaction().execute(async (trx) => {
            await sql`set local jit = off`.execute(trx);
            return query.execute(trx);
          })
        : await query.execute(ex);
    return rows.map((r) => ({ id: r.id, at: Number(r.at) }));
  };
  /** The rows of `found`, in its order. */
  const rowsOf = async (found: Key[]): Promise<KeyRow[]> => {
    if (found.length === 0) return [];
    const { rows } = await sql<{ id: string; at: number; bytes: number; preview: string | null }>`
      select ${k.id} as id, i.updated_at as at, ${k.bytes} as bytes, ${k.preview(dialect)} as preview
      from ${k.from} where ${k.id} in (${list(found.map((f) => f.id))})`.execute(ex);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return found.flatMap((f) => {
      const r = byId.get(f.id);
      // Erased since its key was read: left out.
      if (!r) return [];
      return [{ kind, id: r.id, at: Number(r.at), bytes: Number(r.bytes), preview: r.preview ?? "" }];
    });
  };

  if (driver) {
    const where = checks(constraints.filter((c) => c !== driving));
    return rowsOf(await keys([...where, sql`${k.id} in (${list(driver)})`], limit, true));
  }

  // Several filters, none short enough alone: how many each matches, the cheap ones first.
  const positive = constraints.filter((c) => c.candidates);
  const sizes = new Map<Constraint, number>();
  const exact = new Map<Constraint, number>();
  // Sizes from statistics: never a bound on the rows read.
  const estimatedOnly = new Set<Constraint>();
  if (positive.length >= 2 && tuning.plans) {
    let least = tuning.countCap;
    for (const c of [...positive].sort((a, b) => Number(a.costly ?? false) - Number(b.costly ?? false))) {
      // Counting a search's matches on PostgreSQL reads their rows: ~10 µs each.
      const cap = c.costly
        ? dialect === "postgres"
          ? Math.min(least, 4 * candidates)
          : least
        : tuning.countCap;
      const estimated = c.costly ? await c.estimate?.(ex) : undefined;
      const counted = estimated ?? (await countUpTo(ex, c, cap));
      if (estimated !== undefined) {
        sizes.set(c, Math.max(estimated, candidates + 1));
        exact.set(c, estimated);
        estimatedOnly.add(c);
        least = Math.min(least, estimated);
        continue;
      }
      if (counted <= cap) exact.set(c, counted);
      // Counted past a cap below the rarest label's count: not known to be rarer than it.
      const n = counted > cap && cap < least ? tuning.countCap + 1 : counted;
      sizes.set(c, n);
      least = Math.min(least, n);
    }
  }
  const size = (c: Constraint) => sizes.get(c) as number;
  const allOf = (c: Constraint) => candidatesOf(c, estimatedOnly.has(c) ? 2 ** 31 - 1 : size(c));
  const rarest = sizes.size > 0 ? [...positive].sort((a, b) => size(a) - size(b))[0] : undefined;

  if (!rarest || size(rarest) > tuning.countCap) {
    // 3. A walk. A search too common to drive the page is checked against the set of its
    // matches when reading them all costs less than looking rows up one by one: m matches
    // cost ~m µs, a walk ~50 µs × limit × total / m.
    const probes = new Map(constraints.map((c) => [c, c.probe]));
    // One label filter on at most ~2 % of the items: its items read
    // once into a set, which each row walked is looked up in, costs less than an index
    // probe per row (~0.3 against ~3 µs on SQLite; 1 % of the items: a walk of ~100 rows a
    // match). Counted first, up to SET_CAP (a few ms from the label's index).
    // Not any of several labels: their items counted distinct took a sort (SQLite: 90 → 390 ms).
    const oneLabel = filter.mode !== "any" || filter.labels.length <= 1;
    const single = oneLabel && positive.length === 1 && !positive[0]?.costly ? positive[0] : undefined;
    if (single && tuning.plans) {
      const n = await countUpTo(ex, single, SET_CAP);
      if (n <= SET_CAP) {
        const ids = candidatesOf(single, n);
        probes.set(
          single,
          dialect === "sqlite" ? sql`+${k.id} in (${ids})` : sql`coalesce(${k.id} in (${ids}), false)`,
        );
      }
    }
    if (tuning.matchSets) {
      for (const c of constraints) {
        if (!c.matches || !c.inMatches) continue;
        const threshold = matchSetThreshold(dialect, candidates, limit, await kindTotal(database, ex, kind));
        const n =
          (await c.estimate?.(ex)) ?? Number((await c.matches(threshold + 1).execute(ex)).rows[0]?.n ?? 0);
        if (n <= threshold) probes.set(c, c.inMatches);
      }
    }
    return rowsOf(
      await keys(
        checks(constraints, (c) => probes.get(c) as RawBuilder<unknown>),
        limit,
        false,
      ),
    );
  }

  // 2. A walk as far as independent filters would need (twice that), if that is shorter
  // than reading the rarest filter's matches.
  const found: Key[] = [];
  let resume: Key | undefined;
  const total = await kindTotal(database, ex, kind);
  const density = positive.reduce((d, c) => d * Math.min(1, size(c) / total), 1);
  const expected = limit / Math.max(density, 1e-9);
  const others = constraints.filter((c) => c !== rarest);
  const costlyOther = others.some((c) => c.costly);
  const budget =
    tuning.walk ?? (!costlyOther && expected < size(rarest) ? Math.max(1_000, Math.ceil(2 * expected)) : 0);
  if (budget > 0) {
    const time = sql`i.updated_at`;
    const bound = (
      await sql<Key>`select i.updated_at as at, ${k.id} as id from ${TABLES[kind]}
        ${and(scope(time))} order by i.updated_at desc, ${k.id} desc limit 1 offset ${budget - 1}`.execute(ex)
    ).rows[0];
    const walked = await keys(
      [
        ...checks(constraints),
        ...(bound ? [sql`(i.updated_at, ${k.id}) >= (${Number(bound.at)}, ${bound.id})`] : []),
      ],
      limit,
      false,
    );
    if (walked.length >= limit || !bound) return rowsOf(walked);
    found.push(...walked);
    resume = { id: bound.id, at: Number(bound.at) };
  }
  const past = (at: RawBuilder<unknown>) =>
    resume ? [afterKey(kind, at, { kind, at: resume.at, id: resume.id })] : [];

  if (!costlyOther) {
    // The rarest filter's ids, checked against the others by index probes on `x.id`.
    const onX = build(sql`x.id`);
    const probes = onX.filter((_, i) => constraints[i] !== rarest).map((c) => c.probe);
    const ids = (
      await sql<{ id: string }>`select x.id from (${allOf(rarest)}) x ${and(probes)}
        limit ${candidates + 1}`.execute(ex)
    ).rows.map((r) => r.id);
    const rest =
      ids.length <= candidates
        ? await keys(
            [...past(sortAt), ...(ids.length > 0 ? [sql`${k.id} in (${list(ids)})`] : [sql`1 = 0`])],
            limit - found.length,
            true,
          )
        : await keys([...checks(constraints), ...past(sql`i.updated_at`)], limit - found.length, false);
    return rowsOf([...found, ...rest]);
  }

  // A search with a rarer label: rows walked in time order through the time index alone,
  // each looked up in the set of the label's items (read once), the cheap filters checked
  // on those in it and the search only on the rows that passed them: the search is checked
  // on about limit / (its share) rows, not on every row walked. The search as the set of
  // its matches when reading them costs less than looking rows up (SQLite).
  const search = others.find((c) => c.costly) as Constraint;
  let probeOf = (c: Constraint) => c.probe;
  if (tuning.matchSets && search.matches && search.inMatches) {
    const threshold = matchSetThreshold(dialect, candidates, limit, total);
    // Counted already, exactly or up to a cap (on PostgreSQL, a cap is taken as too many).
    const n =
      exact.get(search) ??
      (dialect === "postgres"
        ? threshold + 1
        : Number((await search.matches(threshold + 1).execute(ex)).rows[0]?.n ?? 0));
    if (n <= threshold) probeOf = (c) => (c === search ? (c.inMatches as RawBuilder<unknown>) : c.probe);
  }
  const inSet =
    dialect === "sqlite" ? sql`+${k.id} in (${allOf(rarest)})` : sql`${k.id} in (${allOf(rarest)})`;
  const cheap = [inSet, ...others.filter((c) => !c.costly).map((c) => c.probe)];
  const costly = others.filter((c) => c.costly).map(probeOf);
  const walked = await keys(
    [
      sql`(case when ${sql.join(cheap, sql` and `)} then ${sql.join(costly, sql` and `)} else false end)`,
      ...past(sql`i.updated_at`),
    ],
    limit - found.length,
    false,
  );
  return rowsOf([...found, ...walked]);
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
  given: Partial<Tuning> = {},
): Promise<{ rows: KeyRow[]; more: boolean }> {
  if (matchesNothing(filter)) return { rows: [], more: false };
  const tuning = { ...DEFAULT_TUNING, ...given };
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
  tuning: Partial<Tuning> = {},
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
