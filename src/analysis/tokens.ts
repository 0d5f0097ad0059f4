/**
 * The one tokenizer, for keywords at compile time and for item text at
 * analysis time: a keyword matches only if both sides tokenize and normalize
 * the same way.
 *
 * A token is a run of letters, digits and combining marks (Unicode L, N, M),
 * possibly joined by apostrophes, ASCII or typographic ("don't", "customer’s");
 * everything else separates tokens. Tokens are compared after NFKC and
 * lowercasing; their offsets point into the original text, so evidence can
 * quote it exactly.
 *
 * Scanning is hand-written rather than a regex because it is much of the
 * analyzer's work: it allocates nothing per token, and hashes ASCII tokens as
 * it goes so that they can be looked up without being sliced (vocabulary.ts).
 */

/**
 * Called for each token, in text order: its UTF-16 offsets, and for an ASCII
 * token (`ascii`) the FNV-1a hash of its lowercased form (see `hashAscii`).
 */
export type TokenVisitor = (start: number, end: number, hash: number, ascii: boolean) => void;

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const APOSTROPHE = 0x27;
const TYPOGRAPHIC_APOSTROPHE = 0x2019;

/** For ASCII: the lowercased code of a letter or digit, 0 for anything else. */
const ASCII_WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[a-z0-9]/.test(ch)) ASCII_WORD[c] = c;
  else if (/[A-Z]/.test(ch)) ASCII_WORD[c] = c + 32;
}
const WORD = /^[\p{L}\p{N}\p{M}]$/u;
/** Classification of BMP characters beyond ASCII, filled as met: 0 unknown, 1 word, 2 not. */
const BMP_WORD = new Uint8Array(0x10000);

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/** How many UTF-16 units the word character at `i` takes: 0 if it is not a word character. */
function wordWidth(text: string, i: number, c: number): number {
  if (c < 128) return ASCII_WORD[c] === 0 ? 0 : 1;
  if (isHigh(c) && i + 1 < text.length) {
    const pair = text.slice(i, i + 2);
    return pair.isWellFormed() && WORD.test(pair) ? 2 : 0;
  }
  let known = BMP_WORD[c];
  if (known === 0) {
    known = WORD.test(String.fromCharCode(c)) ? 1 : 2;
    BMP_WORD[c] = known;
  }
  return known === 1 ? 1 : 0;
}

export function forEachToken(text: string, visit: TokenVisitor): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    let width = c < 128 ? (ASCII_WORD[c] === 0 ? 0 : 1) : wordWidth(text, i, c);
    if (width === 0) {
      i++;
      continue;
    }
    const start = i;
    let ascii = true;
    let hash = FNV_OFFSET;
    for (;;) {
      // A run of word characters…
      while (i < n) {
        c = text.charCodeAt(i);
        if (c < 128) {
          const lower = ASCII_WORD[c] as number;
          if (lower === 0) break;
          hash = Math.imul(hash ^ lower, FNV_PRIME);
          i++;
        } else {
          width = wordWidth(text, i, c);
          if (width === 0) break;
          ascii = false;
          i += width;
        }
      }
      // …joined to the next by an apostrophe between two word characters.
      if ((c !== APOSTROPHE && c !== TYPOGRAPHIC_APOSTROPHE) || i + 1 >= n) break;
      if (wordWidth(text, i + 1, text.charCodeAt(i + 1)) === 0) break;
      if (c === APOSTROPHE) hash = Math.imul(hash ^ c, FNV_PRIME);
      else ascii = false;
      i++;
    }
    visit(start, i, hash, ascii);
  }
}

/** The hash `forEachToken` gives an ASCII token, from its normalized form. */
export function hashAscii(token: string): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < token.length; i++) hash = Math.imul(hash ^ token.charCodeAt(i), FNV_PRIME);
  return hash;
}

// The typographic apostrophe is the ASCII one; final sigma is sigma, as in Unicode case folding.
const FOLD = /[\u2019\u03c2]/g;
const FOLDED: Record<string, string> = { "\u2019": "'", "\u03c2": "\u03c3" };

/** The normalized form of a token: NFKC (full-width letters, ligatures), then case folded. */
export function normalizeToken(raw: string): string {
  return raw
    .normalize("NFKC")
    .toLowerCase()
    .replace(FOLD, (c) => FOLDED[c] ?? c);
}

export interface Tokens {
  /** Normalized tokens, in text order. */
  norm: string[];
  /** UTF-16 offsets of each token in the original text: `text.slice(start[i], end[i])`. */
  start: number[];
  end: number[];
}

/** Every token of `text`, normalized: for keywords, where speed does not matter. */
export function tokenize(text: string): Tokens {
  const tokens: Tokens = { norm: [], start: [], end: [] };
  forEachToken(text, (start, end, _hash, ascii) => {
    const raw = text.slice(start, end);
    tokens.norm.push(ascii ? raw.toLowerCase() : normalizeToken(raw));
    tokens.start.push(start);
    tokens.end.push(end);
  });
  return tokens;
}
