import { forEachToken, hashAscii, normalizeToken } from "./tokens.js";

/**
 * Every token that appears in some keyword of a taxonomy, numbered, so that
 * the analyzer compares numbers, and tokens of the text that no keyword has
 * cost one hash probe and no string: most tokens of an item are such tokens.
 */

/**
 * The tokens of a text that are in the vocabulary, in text order, flat (one
 * array per text, not four): for token t, `at[4t]` is its vocabulary id,
 * `at[4t + 1]` its rank among all tokens of the text, known or not (a phrase
 * needs consecutive ranks), and `at[4t + 2]`, `at[4t + 3]` its UTF-16 offsets.
 */
export interface KnownTokens {
  count: number;
  at: number[];
}

/** What an ASCII token is once lowercased: only such words are worth a slot in the hash table. */
const ASCII_TOKEN = /^[a-z0-9]+(?:'[a-z0-9]+)*$/;

export class Vocabulary {
  private readonly ids = new Map<string, number>();
  private readonly words: string[] = [];
  private readonly hashes: number[] = [];
  /** Open addressing over the words an ASCII token can be: slot → id + 1, 0 for empty. */
  private table = new Int32Array(0);
  private mask = 0;

  /** The id of a normalized token, adding it if new. Call `seal` once all are added. */
  add(token: string): number {
    let id = this.ids.get(token);
    if (id === undefined) {
      id = this.words.length;
      this.words.push(token);
      this.ids.set(token, id);
    }
    return id;
  }

  get size(): number {
    return this.words.length;
  }

  seal(): void {
    let slots = 16;
    while (slots < this.words.length * 4) slots *= 2;
    this.table = new Int32Array(slots);
    this.mask = slots - 1;
    this.words.forEach((word, id) => {
      this.hashes[id] = hashAscii(word);
      if (!ASCII_TOKEN.test(word)) return;
      let slot = (this.hashes[id] as number) & this.mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & this.mask;
      this.table[slot] = id + 1;
    });
  }

  /** The id of the ASCII token text[start, end), compared case-insensitively; -1 if none. */
  private asciiId(text: string, start: number, end: number, hash: number): number {
    const length = end - start;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = this.table[slot] as number;
      if (entry === 0) return -1;
      const word = this.words[entry - 1] as string;
      if (word.length !== length || this.hashes[entry - 1] !== hash) continue;
      // Both sides are [A-Za-z0-9'] (the word lowercase): setting bit 0x20 lowercases only letters.
      let i = 0;
      while (i < length && (text.charCodeAt(start + i) | 0x20) === word.charCodeAt(i)) i++;
      if (i === length) return entry - 1;
    }
  }

  /** The tokens of `text` that some keyword has. */
  known(text: string): KnownTokens {
    const known: KnownTokens = { count: 0, at: [] };
    if (this.words.length === 0) return known;
    let rank = 0;
    forEachToken(text, (start, end, hash, ascii) => {
      const id = ascii
        ? this.asciiId(text, start, end, hash)
        : (this.ids.get(normalizeToken(text.slice(start, end))) ?? -1);
      if (id >= 0) {
        known.at.push(id, rank, start, end);
        known.count++;
      }
      rank++;
    });
    return known;
  }
}
