import { type RawBuilder, sql } from "kysely";

/**
 * Full-text search: the words of a person's search string, as a query each
 * backend runs without ever seeing it as syntax. Indexes are kept by the
 * triggers of migration 0010 (FTS5 on SQLite, tsvector + GIN on PostgreSQL).
 *
 * A word is a run of letters, digits and combining marks in any script;
 * every word must occur (AND), in any order, case-insensitively. Everything
 * else in the string (quotes, `*`, `-`, parentheses, `NEAR`, `OR`) is taken
 * as text, never as an operator.
 */

/** The longest search string accepted: every word of it is looked up. */
export const MAX_SEARCH_LENGTH = 1_000;

const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/** The distinct words of a search string, lowercased, in order. */
export function searchWords(q: string): string[] {
  return [...new Set((q.match(WORD) ?? []).map((w) => w.toLowerCase()))];
}

/**
 * An FTS5 MATCH expression of the words: each one a quoted string (FTS5's
 * own quoting: a double quote inside doubled), so no character of the input
 * is ever an operator, column filter or prefix star. FTS5's unicode61
 * tokenizer then splits each quoted word as it split the documents.
 */
export function fts5Query(words: string[]): string {
  return words.map((w) => `"${w.replaceAll('"', '""')}"`).join(" ");
}

/**
 * The tsquery of a search string on PostgreSQL: plainto_tsquery never fails
 * on its input, and parses it with the parser that made the documents'
 * tsvectors (so an e-mail address or a URL is a word on both sides).
 */
export function pgQuery(q: string): RawBuilder<unknown> {
  return sql`plainto_tsquery('simple', ${q})`;
}
