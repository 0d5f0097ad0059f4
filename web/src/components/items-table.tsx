import { itemHref } from "./items-view";
import { LabelChip } from "./label-chip";
import { Time } from "./time";

export interface ItemRow {
  type: "conversation" | "note";
  id: string;
  updated_at: string;
  preview: string;
  labels: { name: string; source: string; confidence: number }[];
}

/** The API sends at most this many characters of a preview; one that long was cut. */
const PREVIEW_MAX = 200;

/**
 * One page of items. Every id, preview and label name is data: JSX text only,
 * each isolated in <bdi> so a bidi override inside it cannot reorder the row,
 * and cells wrap anywhere so a 100,000-character word cannot widen the table.
 */
export function ItemsTable({ items }: { items: ItemRow[] }) {
  return (
    <table class="items-table">
      <caption class="sr-only">Items matching the filters, newest activity first</caption>
      <colgroup>
        <col class="items-col-type" />
        <col class="items-col-id" />
        <col />
        <col class="items-col-labels" />
        <col class="items-col-time" />
      </colgroup>
      <thead>
        <tr>
          <th scope="col">Type</th>
          <th scope="col">Item</th>
          <th scope="col">Subject or text</th>
          <th scope="col">Labels</th>
          <th scope="col">Updated</th>
        </tr>
      </thead>
      <tbody>
        {items.map((item) => (
          <tr key={`${item.type}:${item.id}`} data-type={item.type} data-id={item.id}>
            <td>
              <span class="badge">{item.type}</span>
            </td>
            <td>
              <a href={itemHref(item.type, item.id)}>
                <bdi>{item.id}</bdi>
              </a>
            </td>
            <td>
              <div class="items-preview">
                <bdi>{item.preview.length >= PREVIEW_MAX ? `${item.preview}…` : item.preview}</bdi>
              </div>
            </td>
            <td>
              {item.labels.length === 0 ? (
                <span class="muted">none</span>
              ) : (
                item.labels.map((l) => <LabelChip key={l.name} name={l.name} source={l.source} />)
              )}
            </td>
            <td>
              <Time iso={item.updated_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
