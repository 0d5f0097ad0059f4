/**
 * Every list answers at most `limit` items and at most this many characters
 * of item content (text, messages, metadata, message data), whichever comes
 * first: a page of 1,000 items of ~0.9 MB each (each within the body limit)
 * took 2.2 GB and ended in a 500. A page cut short by size carries a cursor
 * to the rest, like any other.
 */
export const MAX_PAGE_CONTENT = 8 * 1024 * 1024;

/** How many of the rows, in order, fit one page: at least one, however big. */
export function fitPage(sizes: number[], budget = MAX_PAGE_CONTENT): number {
  let used = 0;
  for (let i = 0; i < sizes.length; i++) {
    used += sizes[i] as number;
    if (i > 0 && used > budget) return i;
  }
  return sizes.length;
}
