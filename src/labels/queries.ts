import { sql } from "kysely";
import type { Executor } from "../db/database.js";
import { type Page, type Position, toPage } from "../items/cursor.js";
import { toIso } from "../time.js";
import type { ItemType } from "./assignments.js";

export interface LabeledItem {
  type: ItemType;
  id: string;
  updated_at: string;
  source: string;
  confidence: number;
}

export interface LabelItemsQuery {
  type?: ItemType;
  from?: number;
  until?: number;
  after?: Position;
  limit: number;
}

/**
 * Items carrying a label, by last activity (oldest first), keyset-paginated.
 * One query per item kind asked for; conversations and notes are listed in
 * two passes when both are wanted (the cursor says which).
 */
export async function labelItems(
  ex: Executor,
  name: string,
  query: LabelItemsQuery,
): Promise<Page<LabeledItem>> {
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
    const rows = await sql<{ id: string; updated_at: number; source: string; confidence: number }>`
      select i.${sql.ref(idColumn)} as id, i.updated_at, l.source, l.confidence
      from label_assignments l join ${sql.table(table)} i on i.${sql.ref(idColumn)} = l.item_id
      where l.label = ${name} and l.item_type = ${kind}
        ${query.from === undefined ? sql`` : sql`and i.updated_at >= ${query.from}`}
        ${query.until === undefined ? sql`` : sql`and i.updated_at <= ${query.until}`}
        ${after ? sql`and (i.updated_at, i.${sql.ref(idColumn)}) > (${after.at}, ${after.id})` : sql``}
      order by i.updated_at, i.${sql.ref(idColumn)}
      limit ${query.limit - items.length + 1}`.execute(ex);
    for (const r of rows.rows) {
      items.push({
        type: kind,
        id: r.id,
        updated_at: toIso(Number(r.updated_at)),
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
}

/** How many items carry each label, per kind. One grouped query. */
export async function labelStats(ex: Executor): Promise<LabelStat[]> {
  const rows = await ex
    .selectFrom("label_assignments")
    .select((eb) => ["label", "item_type", "source", eb.fn.countAll<number>().as("n")])
    .groupBy(["label", "item_type", "source"])
    .orderBy("label")
    .execute();
  const stats = new Map<string, LabelStat>();
  for (const r of rows) {
    const stat = stats.get(r.label) ?? { name: r.label, conversations: 0, notes: 0, manual: 0 };
    stats.set(r.label, stat);
    const n = Number(r.n);
    if (r.item_type === "conversation") stat.conversations += n;
    else stat.notes += n;
    if (r.source === "manual") stat.manual += n;
  }
  return [...stats.values()];
}
