/**
 * Feature extraction: a text becomes a sparse TF-IDF vector in two blocks,
 * word n-grams (of stems) and character n-grams (of normalized words).
 *
 * Words carry the intent when the customer uses the usual vocabulary;
 * character n-grams carry it through typos, inflections and compounds
 * ("topup", "top-up", "top up"). Each block is L2-normalized on its own and
 * then weighted, so a long text cannot let one block drown the other.
 */

import { hashString, IntMap, mix, step } from "./hash.js";
import { toWords, type Words } from "./normalize.js";
import { stem } from "./stem.js";

export interface FeatureConfig {
  /** Longest word n-gram (0: no word features). */
  wordMaxN: number;
  stem: boolean;
  /** Also join adjacent words ("top up" → "topup") so that they meet the compound spelling. */
  compounds: boolean;
  /** Also pair words two apart ("card … arrived"), which bigrams miss when a word sits between. */
  skipGrams: boolean;
  /** Unordered pairs of words at most this far apart (0: none), a cheap stand-in for word co-occurrence. */
  pairWindow: number;
  /** Also mark the first and last word ("how …" asks, "… please" does not). */
  boundaries: boolean;
  /** Character n-gram lengths (charMax 0: none). */
  charMin: number;
  charMax: number;
  /** Character n-grams within words (padded with a space each side) rather than across the text. */
  charWithinWords: boolean;
  /** Keep features seen in at least this many training texts. */
  minDf: number;
  sublinearTf: boolean;
  wordWeight: number;
  charWeight: number;
}

export const DEFAULT_FEATURES: FeatureConfig = {
  wordMaxN: 2,
  stem: true,
  compounds: false,
  skipGrams: false,
  pairWindow: 0,
  boundaries: false,
  charMin: 2,
  charMax: 5,
  charWithinWords: true,
  minDf: 2,
  sublinearTf: true,
  wordWeight: 1,
  charWeight: 1,
};

// Seeds keep the namespaces apart: the word "ab" is not the character bigram "ab".
const WORD_SEED = 0x2f1c7a3b;
const NGRAM_SEED = 0x51ed270b;
const SKIP_SEED = 0x1b873593;
const PAIR_SEED = 0x68e31da4;
const START_SEED = 0x3c6ef372;
const END_SEED = 0x7f4a7c15;
const CHAR_SEED = 0x6c8e9cf5;
const SPACE = 32;

export const WORD_BLOCK = 0;
export const CHAR_BLOCK = 1;

/** Receives each feature occurrence: its block, hashed key, and the raw token(s) it came from. */
export type Emit = (block: number, key: number, source: number, source2: number) => void;

export function extract(words: Words, config: FeatureConfig, emit: Emit): void {
  const n = words.words.length;
  if (config.wordMaxN > 0) {
    const stems = config.stem ? words.words.map(stem) : words.words;
    const hashes = stems.map((s) => hashString(WORD_SEED, s));
    for (let i = 0; i < n; i++) {
      const src = words.source[i] as number;
      const h = hashes[i] as number;
      emit(WORD_BLOCK, mix(h), src, -1);
      if (config.boundaries && i === 0) emit(WORD_BLOCK, mix(h + START_SEED), src, -1);
      if (config.boundaries && i === n - 1) emit(WORD_BLOCK, mix(h + END_SEED), src, -1);
      let g = h;
      for (let m = 1; m < config.wordMaxN && i + m < n; m++) {
        g = Math.imul(g, 0x9e3779b1) ^ (hashes[i + m] as number);
        emit(WORD_BLOCK, mix(g + NGRAM_SEED * m), src, words.source[i + m] as number);
      }
      if (config.skipGrams && i + 2 < n) {
        const skip = Math.imul(h, 0x85ebca6b) ^ (hashes[i + 2] as number);
        emit(WORD_BLOCK, mix(skip + SKIP_SEED), src, words.source[i + 2] as number);
      }
      for (let m = 2; m <= config.pairWindow && i + m < n; m++) {
        const other = hashes[i + m] as number;
        if (other === h) continue;
        const pair = h < other ? Math.imul(h, 0xcc9e2d51) ^ other : Math.imul(other, 0xcc9e2d51) ^ h;
        emit(WORD_BLOCK, mix(pair + PAIR_SEED), src, words.source[i + m] as number);
      }
      if (i + 1 < n && config.compounds) {
        const joined = `${words.words[i]}${words.words[i + 1]}`;
        emit(
          WORD_BLOCK,
          mix(hashString(WORD_SEED, config.stem ? stem(joined) : joined)),
          src,
          words.source[i + 1] as number,
        );
      }
    }
  }
  if (config.charMax > 0) {
    if (config.charWithinWords) {
      for (let i = 0; i < n; i++) charGrams(` ${words.words[i]} `, config, words.source[i] as number, emit);
    } else {
      charGramsAcross(words, config, emit);
    }
  }
}

/** Character n-grams of one padded word, as scikit-learn's "char_wb" makes them. */
function charGrams(padded: string, config: FeatureConfig, source: number, emit: Emit): void {
  const len = padded.length;
  const { charMin, charMax } = config;
  if (len < charMin) return;
  for (let start = 0; start + charMin <= len; start++) {
    let h = CHAR_SEED;
    const stop = Math.min(len, start + charMax);
    for (let k = start; k < stop; k++) {
      h = step(h, padded.charCodeAt(k));
      if (k - start + 1 >= charMin) emit(CHAR_BLOCK, mix(h), source, -1);
    }
  }
}

/** Character n-grams over the words joined by single spaces; a gram belongs to the word it starts in. */
function charGramsAcross(words: Words, config: FeatureConfig, emit: Emit): void {
  const codes: number[] = [SPACE];
  const owner: number[] = [words.source[0] ?? -1];
  for (let i = 0; i < words.words.length; i++) {
    const word = words.words[i] as string;
    const src = words.source[i] as number;
    for (let k = 0; k < word.length; k++) {
      codes.push(word.charCodeAt(k));
      owner.push(src);
    }
    codes.push(SPACE);
    owner.push(words.source[i + 1] ?? src);
  }
  const { charMin, charMax } = config;
  for (let start = 0; start + charMin <= codes.length; start++) {
    let h = CHAR_SEED;
    const stop = Math.min(codes.length, start + charMax);
    for (let k = start; k < stop; k++) {
      h = step(h, codes[k] as number);
      if (k - start + 1 >= charMin) emit(CHAR_BLOCK, mix(h), owner[start] as number, -1);
    }
  }
}

/** A sparse vector: `ids[k]` has value `values[k]` for k < `size`. */
export interface Sparse {
  ids: Int32Array;
  values: Float64Array;
  size: number;
}

/** Where each feature of a text came from, for evidence. */
export interface Trace {
  words: Words;
  /** Occurrences: feature id, raw token, second raw token of a bigram (or -1). */
  feature: number[];
  source: number[];
  source2: number[];
}

/** A fitted vocabulary: feature keys, their IDF, and the block each belongs to. */
export class FeatureSpace {
  readonly config: FeatureConfig;
  /** Hashed key of each feature; word features first, then `wordCount`.. character features. */
  readonly keys: Int32Array;
  readonly wordCount: number;
  readonly idf: Float32Array;
  private readonly index: IntMap;
  // Scratch, reused across calls: a vector has at most a few hundred features.
  private readonly tf: Float64Array;
  private readonly touched: number[] = [];

  constructor(config: FeatureConfig, keys: Int32Array, wordCount: number, idf: Float32Array) {
    this.config = config;
    this.keys = keys;
    this.wordCount = wordCount;
    this.idf = idf;
    this.index = new IntMap(keys.length);
    for (let i = 0; i < keys.length; i++) this.index.set(keys[i] as number, i);
    this.tf = new Float64Array(keys.length);
  }

  get size(): number {
    return this.keys.length;
  }

  /** Chooses the vocabulary: features in at least `minDf` of the texts, IDF from the same counts. */
  static fit(texts: readonly Words[], config: FeatureConfig): FeatureSpace {
    const df = [new IntMap(1 << 14), new IntMap(1 << 16)];
    const seen: number[][] = [[], []];
    const collect: Emit = (block, key) => {
      (seen[block] as number[]).push(key);
    };
    for (const words of texts) {
      (seen[0] as number[]).length = 0;
      (seen[1] as number[]).length = 0;
      extract(words, config, collect);
      for (let block = 0; block < 2; block++) {
        const keys = Int32Array.from(seen[block] as number[]).sort();
        const counts = df[block] as IntMap;
        for (let k = 0; k < keys.length; k++)
          if (k === 0 || keys[k] !== keys[k - 1]) counts.add(keys[k] as number, 1);
      }
    }
    const keys: number[] = [];
    const idf: number[] = [];
    let wordCount = 0;
    const n = texts.length;
    for (let block = 0; block < 2; block++) {
      const counts = df[block] as IntMap;
      for (const key of counts.insertionOrder()) {
        const count = counts.get(key);
        if (count < config.minDf) continue;
        keys.push(key);
        idf.push(Math.log((1 + n) / (1 + count)) + 1);
      }
      if (block === 0) wordCount = keys.length;
    }
    return new FeatureSpace(config, Int32Array.from(keys), wordCount, Float32Array.from(idf));
  }

  encodeWords(words: Words, out: Sparse, trace?: Trace): void {
    const { tf, touched, index } = this;
    touched.length = 0;
    const emit: Emit = (_block, key, source, source2) => {
      const id = index.get(key);
      if (id < 0) return;
      if (tf[id] === 0) touched.push(id);
      tf[id] = (tf[id] as number) + 1;
      if (trace) {
        trace.feature.push(id);
        trace.source.push(source);
        trace.source2.push(source2);
      }
    };
    extract(words, this.config, emit);
    if (out.ids.length < touched.length) {
      out.ids = new Int32Array(touched.length * 2);
      out.values = new Float64Array(touched.length * 2);
    }
    let wordNorm = 0;
    let charNorm = 0;
    const sublinear = this.config.sublinearTf;
    for (let k = 0; k < touched.length; k++) {
      const id = touched[k] as number;
      const count = tf[id] as number;
      tf[id] = 0;
      const value = (sublinear ? 1 + Math.log(count) : count) * (this.idf[id] as number);
      out.ids[k] = id;
      out.values[k] = value;
      if (id < this.wordCount) wordNorm += value * value;
      else charNorm += value * value;
    }
    const wordScale = wordNorm > 0 ? this.config.wordWeight / Math.sqrt(wordNorm) : 0;
    const charScale = charNorm > 0 ? this.config.charWeight / Math.sqrt(charNorm) : 0;
    for (let k = 0; k < touched.length; k++) {
      out.values[k] =
        (out.values[k] as number) * ((out.ids[k] as number) < this.wordCount ? wordScale : charScale);
    }
    out.size = touched.length;
  }

  encode(text: string, out: Sparse, trace?: Trace): void {
    const words = toWords(text);
    if (trace) trace.words = words;
    this.encodeWords(words, out, trace);
  }
}

export function emptySparse(capacity = 512): Sparse {
  return { ids: new Int32Array(capacity), values: new Float64Array(capacity), size: 0 };
}

/** Rows of training vectors in compressed sparse row form. */
export interface Matrix {
  rows: number;
  columns: number;
  start: Int32Array;
  ids: Int32Array;
  values: Float64Array;
}

export function encodeAll(space: FeatureSpace, texts: readonly Words[]): Matrix {
  const start = new Int32Array(texts.length + 1);
  let ids = new Int32Array(texts.length * 64);
  let values = new Float64Array(texts.length * 64);
  const row = emptySparse();
  let nnz = 0;
  for (let i = 0; i < texts.length; i++) {
    space.encodeWords(texts[i] as Words, row);
    if (nnz + row.size > ids.length) {
      const capacity = Math.max(ids.length * 2, nnz + row.size);
      const grownIds = new Int32Array(capacity);
      grownIds.set(ids);
      ids = grownIds;
      const grownValues = new Float64Array(capacity);
      grownValues.set(values);
      values = grownValues;
    }
    ids.set(row.ids.subarray(0, row.size), nnz);
    values.set(row.values.subarray(0, row.size), nnz);
    nnz += row.size;
    start[i + 1] = nnz;
  }
  return {
    rows: texts.length,
    columns: space.size,
    start,
    ids: ids.slice(0, nnz),
    values: values.slice(0, nnz),
  };
}
