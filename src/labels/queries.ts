import { type Expression, type SqlBool, sql } from "kysely";
import type { Executor } from "../db/database.js";
import type { LabelSource } from "../db/schema.js";
import { AppError } from "../errors.js";
import { type Page, type Position, toPage } from "../items/cursor.js";
import { toIso } from "../time.js";
import type { ItemType } from "./assignments.js";
import { currentTaxonomy } from "./taxonomy-store.js";

/**
 * Queries by label. Names are a hierarchy by `/`: a query for `billing` is
 * about `billing` itself and every label under it (`billing/refund`,
 * `billing/refund/partial`…), never `billing-old`. On both backends the
 * label column compares bytewise (SQLite's BINARY, PostgreSQL's COLLATE "C"),
 * so "under `billing`" is the index range ['billing/', 'billing0'): '0'
 * is the character after '/'.
 */

/** Whether `label` is `name` or under it. */
export function isUnder(label: string, name: string): boolean {
  return label === name || label.startsWith(`${name}/`);
}

/** The SQL condition "`column` is `name` or a label under it", an index range on the label column. */
function underSql(column: string, name: string): Expression<SqlBool> {
  const ref = sql.ref(column);
  return sql<SqlBool>`(${ref} = ${name} or (${ref} >= ${`${name}/`} and ${ref} < ${`${name}0`}))`;
}

/** The names of the current taxonomy's labels: a label some item carries but the taxonomy no longer has is retired. */
export async function currentLabelNames(ex: Executor): Promise<Set<string>> {
  return new Set((await currentTaxonomy(ex)).labels.map((l) => l.name));
}

export function labelNotFound(name: string): AppError {
  return new AppError(
    "label_not_found",
    `'${name}' is not a label of the current taxonomy, nor one any item carries, nor a parent of either.`,
    { label: name },
  );
}

/**
 * Checks that `name` means something: a label (or a parent of labels) of the
 * current taxonomy, or one that some item carries (a label since dropped
 * from the taxonomy stays queryable while items carry it). Anything else is a
 * 404 `label_not_found`: a typo must not look like an empty answer. Returns
 * whether items carry labels under it, i.e. whether a query must look beyond
 * the name itself. Two index probes at most.
 */
export async function resolveLabel(ex: Executor, name: string): Promise<{ descendants: boolean }> {
  const descendant = await ex
    .selectFrom("label_assignments")
    .select("label")
    .where("label", ">=", `${name}/`)
    .where("label", "<", `${name}0`)
    .limit(1)
    .executeTakeFirst();
  if (descendant) return { descendants: true };
  const taxonomy = await currentTaxonomy(ex);
  if (taxonomy.labels.some((l) => isUnder(l.name, name))) return { descendants: false };
  const carried = await ex
    .selectFrom("label_assignments")
    .select("label")
    .where("label", "=", name)
    .limit(1)
    .executeTakeFirst();
  if (!carried) throw labelNotFound(name);
  return { descendants: false };
}

export interface LabeledItem {
  type: ItemType;
  id: string;
  updated_at: string;
  /** The label the item carries: the name asked for, or the label under it (its most confident one if several). */
  label: string;
  source: LabelSource;
  confidence: number;
}

export interface LabelItemsQuery {
  type?: ItemType;
  from?: number;
  until?: number;
  after?: Position;
  limit: number;
}

type Row = { id: string; updated_at: number; label: string; source: LabelSource; confidence: number };

/**
 * Items carrying a label or any label under it, by last activity (oldest
 * first), keyset-paginated; a 404 `label_not_found` for a name nothing has.
 * One query per item kind asked for; conversations and notes are listed in
 * two passes when both are wanted (the cursor says which). An item carrying
 * several labels under a parent is listed once.
 */
export async function labelItems(
  ex: Executor,
  name: string,
  query: LabelItemsQuery,
): Promise<Page<LabeledItem>> {
  const { descendants } = await resolveLabel(ex, name);
  const kinds: ItemType[] = query.type ? [query.type] : ["conversation", "note"];
  // The cursor's id is prefixed with its kind, so one cursor type serves both passes.
  const afterKind = query.after ? (query.after.id.slice(0, 1) === "n" ? "note" : "conversation") : undefined;
  const items: LabeledItem[] = [];
  for (const kind of kinds) {
    if (afterKind === "note" && kind === "conversation") continue;
    const after =
      afterKind === kind && query.after ? { at: query.after.at, id: query.after.id.slice(2) } : undefined;
    const table = kind === "conversation" ? "conversations" : "notes";
    const idColumn = kind === "conversation" ? "fs_id" : "note_id";
    const where = sql`l.item_type = ${kind}
        ${query.from === undefined ? sql`` : sql`and i.updated_at >= ${query.from}`}
        ${query.until === undefined ? sql`` : sql`and i.updated_at <= ${query.until}`}
        ${after ? sql`and (i.updated_at, i.${sql.ref(idColumn)}) > (${after.at}, ${after.id})` : sql``}`;
    const limit = query.limit - items.length + 1;
    // Only a parent with labels under it needs one row per item out of several: the plain query otherwise.
    const rows = descendants
      ? await sql<Row>`
          select id, updated_at, label, source, confidence from (
            select i.${sql.ref(idColumn)} as id, i.updated_at, l.label, l.source, l.confidence,
              row_number() over (partition by l.item_id order by l.confidence desc, l.label) as nth
            from label_assignments l join ${sql.table(table)} i on i.${sql.ref(idColumn)} = l.item_id
            where ${underSql("l.label", name)} and ${where}
          ) labeled
          where nth = 1
          order by updated_at, id
          limit ${limit}`.execute(ex)
      : await sql<Row>`
          select i.${sql.ref(idColumn)} as id, i.updated_at, l.label, l.source, l.confidence
          from label_assignments l join ${sql.table(table)} i on i.${sql.ref(idColumn)} = l.item_id
          where l.label = ${name} and ${where}
          order by i.updated_at, i.${sql.ref(idColumn)}
          limit ${limit}`.execute(ex);
    for (const r of rows.rows) {
      items.push({
        type: kind,
        id: r.id,
        updated_at: toIso(Number(r.updated_at)),
        label: r.label,
        source: r.source,
        confidence: Number(r.confidence),
      });
    }
    if (items.length > query.limit) break;
  }
  return toPage(
    items.slice(0, query.limit),
    items.length > query.limit,
    (i) => ({ at: Date.parse(i.updated_at), id: `${i.type === "note" ? "n" : "c"}:${i.id}` }),
    (i) => i,
  );
}

export interface LabelStat {
  name: string;
  conversations: number;
  notes: number;
  /** Of those, set by a person. */
  manual: number;
  /** Items carry it, but the current taxonomy no longer has it (no analysis adds it again; a person can remove it). */
  retired: boolean;
}

/**
 * How many items carry each label, per kind: every label, or `name` and the
 * labels under it (404 `label_not_found` if nothing has it). One grouped query.
 */
export async function labelStats(ex: Executor, name?: string): Promise<LabelStat[]> {
  if (name !== undefined) await resolveLabel(ex, name);
  let query = ex
    .selectFrom("label_assignments")
    .select((eb) => ["label", "item_type", "source", eb.fn.countAll<number>().as("n")]);
  if (name !== undefined) query = query.where(underSql("label", name));
  const [rows, current] = await Promise.all([
    query.groupBy(["label", "item_type", "source"]).orderBy("label").execute(),
    currentLabelNames(ex),
  ]);
  const stats = new Map<string, LabelStat>();
  for (const r of rows) {
    const stat = stats.get(r.label) ?? {
      name: r.label,
      conversations: 0,
      notes: 0,
      manual: 0,
      retired: !current.has(r.label),
    };
    stats.set(r.label, stat);
    const n = Number(r.n);
    if (r.item_type === "conversation") stat.conversations += n;
    else stat.notes += n;
    if (r.source === "manual") stat.manual += n;
  }
  return [...stats.values()];
}

export interface LabelRollup {
  name: string;
  /** Conversations carrying `name` or any label under it, each counted once. */
  conversations: number;
  notes: number;
  /** Of those, items where a person set one of those labels. */
  manual: number;
}

/** A parent's totals: items carrying it or any label under it, each item once (not the sum of its labels' rows). */
export async function labelRollup(ex: Executor, name: string): Promise<LabelRollup> {
  const { rows } = await sql<{ item_type: string; n: number | string; manual: number | string }>`
    select item_type, count(distinct item_id) as n,
      count(distinct case when source = 'manual' then item_id end) as manual
    from label_assignments
    where ${underSql("label", name)}
    group by item_type`.execute(ex);
  const of = (type: ItemType) => rows.find((r) => r.item_type === type);
  return {
    name,
    conversations: Number(of("conversation")?.n ?? 0),
    notes: Number(of("note")?.n ?? 0),
    manual: rows.reduce((sum, r) => sum + Number(r.manual), 0),
  };
}
