/**
 * The one tokenizer, for keywords at compile time and for item text at
 * analysis time: a keyword matches only if both sides tokenize and normalize
 * the same way.
 *
 * A token is a run of letters, digits and combining marks, possibly joined by
 * apostrophes ("don't", "customer's"); everything else separates tokens.
 * Tokens are compared after NFKC and lowercasing; their offsets point into the
 * original text, so evidence can quote it exactly.
 */

export interface Tokens {
  /** Normalized tokens, in text order. */
  norm: string[];
  /** UTF-16 offsets of each token in the original text: `text.slice(start[i], end[i])`. */
  start: number[];
  end: number[];
}

const TOKEN = /[\p{L}\p{N}\p{M}]+(?:['\u2019][\p{L}\p{N}\p{M}]+)*/gu;
// ASCII text lowercased keeps its length, so it is tokenized lowercased in one go.
const ASCII_TOKEN = /[a-z0-9]+(?:'[a-z0-9]+)*/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the test is for "anything outside ASCII"
const NON_ASCII = /[^\u0000-\u007f]/;

function isAscii(token: string): boolean {
  for (let i = 0; i < token.length; i++) if (token.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** NFKC folds compatibility forms (full-width letters, ligatures); the typographic apostrophe is the ASCII one. */
function normalizeToken(raw: string): string {
  if (isAscii(raw)) return raw.toLowerCase();
  return raw.normalize("NFKC").toLowerCase().replaceAll("\u2019", "'");
}

export function tokenize(text: string): Tokens {
  const tokens: Tokens = { norm: [], start: [], end: [] };
  const ascii = !NON_ASCII.test(text);
  const pattern = ascii ? ASCII_TOKEN : TOKEN;
  const source = ascii ? text.toLowerCase() : text;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(source); m !== null; m = pattern.exec(source)) {
    tokens.norm.push(ascii ? m[0] : normalizeToken(m[0]));
    tokens.start.push(m.index);
    tokens.end.push(m.index + m[0].length);
  }
  return tokens;
}
