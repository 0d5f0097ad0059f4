import { AppError } from "../errors.js";

/**
 * One size limit per item, the same on every path in: the body of
 * `PUT /api/conversations/:fs_id`, the body of `POST /api/notes/:id/versions`,
 * and a line of an import file (`relabel import`) without its `type` and id
 * fields. An item is measured as compact JSON in UTF-8 (`JSON.stringify`),
 * so whitespace and `\u` escapes in what a client sends do not count against
 * it, and the same item is accepted or refused whichever way it comes in.
 *
 * 4 MiB: far above any conversation or note a help desk exports (the sample
 * data's biggest is a few KiB), and within what one analysis batch takes
 * (MAX_BATCH_TEXT, 8 M characters; an item's text is never longer than its
 * JSON), so any item fits a batch, which never runs past its lease for it.
 */
export const MAX_ITEM_BYTES = 4 * 1024 * 1024;

/**
 * How large a body or line may be as sent before it is measured as above:
 * JSON may spell a character as a 6-byte `\u` escape whose UTF-8 takes 2, so
 * three times the limit; past that the item cannot fit, whatever it holds.
 */
export const MAX_ITEM_RAW_BYTES = 3 * MAX_ITEM_BYTES;

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** The error every path in answers for an item over the limit. */
export function itemTooLarge(size?: number): AppError {
  const measured = size === undefined ? "larger than that" : `${mib(size)} (${size} bytes)`;
  return new AppError(
    "item_too_large",
    `An item (a conversation, or a note version) is at most 4 MiB (${MAX_ITEM_BYTES} bytes) as compact JSON, ` +
      `through the API and in an import file alike; this one is ${measured}.`,
    { limit_bytes: MAX_ITEM_BYTES, ...(size === undefined ? {} : { size_bytes: size }) },
  );
}

/** An item's size as compact JSON in UTF-8. */
export function itemBytes(item: unknown): number {
  return Buffer.byteLength(JSON.stringify(item) ?? "");
}

/**
 * A line this much shorter than the limit (in UTF-16 code units, as a JS
 * string measures) cannot be over it as compact JSON: a code unit takes at
 * most 3 bytes of UTF-8, and a number at most 6 times its spelling (`1e20`).
 */
const SURELY_SMALL = Math.floor(MAX_ITEM_BYTES / 6);

/**
 * Throws `item_too_large` if the item is over the limit. `sentLength`, when
 * known, is the length of its text as sent: short ones need no measuring.
 */
export function checkItemSize(item: unknown, sentLength?: number): void {
  if (sentLength !== undefined && sentLength <= SURELY_SMALL) return;
  let size: number;
  try {
    size = itemBytes(item);
  } catch {
    return; // nested too deep to serialize: the schema refuses it (400), as it does any too deep
  }
  if (size > MAX_ITEM_BYTES) throw itemTooLarge(size);
}
