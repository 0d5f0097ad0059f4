/**
 * Feature extraction: a text becomes a sparse TF-IDF vector in three blocks:
 *
 * - words: unigrams and bigrams of stems — the usual vocabulary of intents;
 * - pairs: unordered pairs of stems a few words apart — intents are often a
 *   combination of two words anywhere in a short text ("card" … "arrive",
 *   "charged" … "twice"), which a linear model over single words cannot
 *   express and bigrams catch only when adjacent (+0.4 % on banking77);
 * - characters: n-grams within each normalized word padded by spaces
 *   (scikit-learn's "char_wb"), which carry typos, inflections and compounds
 *   ("topup", "top-up").
 *
 * Each block is L2-normalized on its own and then weighted, so that one
 * block cannot drown another in a long text.
 */

import { hashString, IntMap, mix, step } from "./hash.js";
import { toWords, type Words } from "./normalize.js";
import { stem } from "./stem.js";

export interface FeatureConfig {
  /** Longest word n-gram (1 or 2). */
  wordMaxN: number;
  stem: boolean;
  /** Pair each word with those up to this many places later (0: no pairs; adjacent ones are bigrams). */
  pairWindow: number;
  /** Character n-gram lengths (charMax 0: none). */
  charMin: number;
  charMax: number;
  /** Keep features seen in at least this many training texts. */
  minDf: number;
  /** 1 + log(tf) instead of tf. */
  sublinearTf: boolean;
  wordWeight: number;
  pairWeight: number;
  charWeight: number;
}

export const DEFAULT_FEATURES: FeatureConfig = {
  wordMaxN: 2,
  stem: true,
  pairWindow: 8,
  charMin: 2,
  charMax: 5,
  minDf: 2,
  sublinearTf: true,
  wordWeight: 1,
  pairWeight: 1,
  charWeight: 1,
};

export const BLOCKS = 3;
export const WORD_BLOCK = 0;
export const PAIR_BLOCK = 1;
export const CHAR_BLOCK = 2;

// Seeds keep the namespaces apart: the word "ab" is not the character bigram "ab".
const WORD_SEED = 0x2f1c7a3b;
const BIGRAM_SEED = 0x51ed270b;
const PAIR_SEED = 0x68e31da4;
const CHAR_SEED = 0x6c8e9cf5;
const SPACE = 32;

/**
 * The feature occurrences of one text, in buffers reused from text to text:
 * block, hashed key, the raw token it came from and, for a bigram or pair,
 * the second one (else -1); `feature` receives the vocabulary id (-1 if
 * none) when the text is encoded.
 */
export class Occurrences {
  size = 0;
  block = new Uint8Array(512);
  key = new Int32Array(512);
  source = new Int32Array(512);
  source2 = new Int32Array(512);
  feature = new Int32Array(512);

  add(block: number, key: number, source: number, source2: number): void {
    if (this.size === this.key.length) this.grow();
    const at = this.size++;
    this.block[at] = block;
    this.key[at] = key;
    this.source[at] = source;
    this.source2[at] = source2;
  }

  private grow(): void {
    const capacity = this.key.length * 2;
    this.block = grown(this.block, capacity);
    this.key = grown(this.key, capacity);
    this.source = grown(this.source, capacity);
    this.source2 = grown(this.source2, capacity);
    this.feature = new Int32Array(capacity);
  }
}

export function extract(words: Words, config: FeatureConfig, out: Occurrences): void {
  out.size = 0;
  const n = words.words.length;
  const hashes = words.words.map((word) => hashString(WORD_SEED, config.stem ? stem(word) : word));
  for (let i = 0; i < n; i++) {
    const src = words.source[i] as number;
    const h = hashes[i] as number;
    out.add(WORD_BLOCK, mix(h), src, -1);
    if (config.wordMaxN >= 2 && i + 1 < n) {
      const bigram = Math.imul(h, 0x9e3779b1) ^ (hashes[i + 1] as number);
      out.add(WORD_BLOCK, mix(bigram + BIGRAM_SEED), src, words.source[i + 1] as number);
    }
    for (let m = 2; m <= config.pairWindow && i + m < n; m++) {
      const other = hashes[i + m] as number;
      if (other === h) continue;
      // Unordered: "charged … twice" and "twice … charged" are one feature.
      const pair = h < other ? Math.imul(h, 0xcc9e2d51) ^ other : Math.imul(other, 0xcc9e2d51) ^ h;
      out.add(PAIR_BLOCK, mix(pair + PAIR_SEED), src, words.source[i + m] as number);
    }
    if (config.charMax > 0) charGrams(words.words[i] as string, config, src, out);
  }
}

/** Character n-grams of one word padded by a space each side, as scikit-learn's "char_wb" makes them. */
function charGrams(word: string, config: FeatureConfig, source: number, out: Occurrences): void {
  const len = word.length + 2;
  const { charMin, charMax } = config;
  for (let start = 0; start + charMin <= len; start++) {
    let h = CHAR_SEED;
    const stop = Math.min(len, start + charMax);
    for (let k = start; k < stop; k++) {
      h = step(h, k === 0 || k === len - 1 ? SPACE : word.charCodeAt(k - 1));
      if (k - start + 1 >= charMin) out.add(CHAR_BLOCK, mix(h), source, -1);
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
  occurrences: Occurrences;
}

/** A fitted vocabulary: feature keys and their IDF, block by block. */
export class FeatureSpace {
  readonly config: FeatureConfig;
  /** Hashed key of each feature: the word block's first, then the pair block's, then the character block's. */
  readonly keys: Int32Array;
  /** Where each block ends in `keys`. */
  readonly blockEnds: readonly number[];
  readonly idf: Float32Array;
  private readonly index: IntMap;
  private readonly weights: number[];
  // Scratch, reused across calls: a vector has at most a few hundred features.
  private readonly tf: Float64Array;
  private readonly scratch = new Occurrences();

  constructor(config: FeatureConfig, keys: Int32Array, blockEnds: readonly number[], idf: Float32Array) {
    this.config = config;
    this.keys = keys;
    this.blockEnds = blockEnds;
    this.idf = idf;
    this.weights = [config.wordWeight, config.pairWeight, config.charWeight];
    this.index = new IntMap(keys.length);
    for (let i = 0; i < keys.length; i++) this.index.set(keys[i] as number, i);
    this.tf = new Float64Array(keys.length);
  }

  get size(): number {
    return this.keys.length;
  }

  /**
   * Chooses the vocabulary — features in at least `minDf` of the texts, with
   * IDF from the same counts — and encodes the texts with it, extracting
   * each text once.
   */
  static fit(texts: readonly Words[], config: FeatureConfig): { space: FeatureSpace; matrix: Matrix } {
    // Every distinct key gets a slot, in order of first appearance.
    const slots = new IntMap(1 << 16);
    let slotKey = new Int32Array(1 << 16);
    let slotBlock = new Uint8Array(1 << 16);
    let df = new Int32Array(1 << 16);
    let lastText = new Int32Array(1 << 16);
    let slotCount = 0;
    // The slot of every occurrence of every text.
    let textSlots = new Int32Array(texts.length * 64);
    const textStart = new Int32Array(texts.length + 1);
    let total = 0;
    const occurrences = new Occurrences();
    texts.forEach((words, t) => {
      extract(words, config, occurrences);
      if (total + occurrences.size > textSlots.length) {
        textSlots = grown(textSlots, Math.max(textSlots.length * 2, total + occurrences.size));
      }
      for (let k = 0; k < occurrences.size; k++) {
        const key = occurrences.key[k] as number;
        let slot = slots.get(key);
        if (slot < 0) {
          slot = slotCount++;
          slots.set(key, slot);
          if (slot === slotKey.length) {
            slotKey = grown(slotKey, slot * 2);
            slotBlock = grown(slotBlock, slot * 2);
            df = grown(df, slot * 2);
            lastText = grown(lastText, slot * 2);
          }
          slotKey[slot] = key;
          slotBlock[slot] = occurrences.block[k] as number;
          lastText[slot] = -1;
        }
        // Document frequency: once per text.
        if (lastText[slot] !== t) {
          lastText[slot] = t;
          df[slot] = (df[slot] as number) + 1;
        }
        textSlots[total++] = slot;
      }
      textStart[t + 1] = total;
    });

    const slotFeature = new Int32Array(slotCount).fill(-1);
    const keys: number[] = [];
    const idf: number[] = [];
    const blockEnds: number[] = [];
    for (let block = 0; block < BLOCKS; block++) {
      for (let slot = 0; slot < slotCount; slot++) {
        const count = df[slot] as number;
        if (slotBlock[slot] !== block || count < config.minDf) continue;
        slotFeature[slot] = keys.length;
        keys.push(slotKey[slot] as number);
        // scikit-learn's smoothed IDF.
        idf.push(Math.log((1 + texts.length) / (1 + count)) + 1);
      }
      blockEnds.push(keys.length);
    }
    const space = new FeatureSpace(config, Int32Array.from(keys), blockEnds, Float32Array.from(idf));

    const start = new Int32Array(texts.length + 1);
    let ids = new Int32Array(total);
    let values = new Float64Array(total);
    const row = emptySparse();
    const features = new Int32Array(total);
    for (let k = 0; k < total; k++) features[k] = slotFeature[textSlots[k] as number] as number;
    let nnz = 0;
    for (let t = 0; t < texts.length; t++) {
      const from = textStart[t] as number;
      space.weigh(features.subarray(from, textStart[t + 1] as number), row);
      ids.set(row.ids.subarray(0, row.size), nnz);
      values.set(row.values.subarray(0, row.size), nnz);
      nnz += row.size;
      start[t + 1] = nnz;
    }
    ids = ids.slice(0, nnz);
    values = values.slice(0, nnz);
    return { space, matrix: { rows: texts.length, columns: space.size, start, ids, values } };
  }

  /** Encodes into `out`; `occurrences`, if given, keeps where each feature came from. */
  encodeWords(words: Words, out: Sparse, occurrences: Occurrences = this.scratch): void {
    extract(words, this.config, occurrences);
    const { key, feature } = occurrences;
    for (let k = 0; k < occurrences.size; k++) feature[k] = this.index.get(key[k] as number);
    this.weigh(feature.subarray(0, occurrences.size), out);
  }

  /**
   * The TF-IDF vector of a text from the feature id of each of its
   * occurrences (-1: not in the vocabulary): sublinear TF, IDF, each block
   * L2-normalized and weighted.
   */
  weigh(features: Int32Array, out: Sparse): void {
    const { tf, idf } = this;
    if (out.ids.length < features.length) {
      out.ids = new Int32Array(features.length * 2);
      out.values = new Float64Array(features.length * 2);
    }
    // Distinct features in `out.ids`, their counts in `tf` (zeroed again below).
    const ids = out.ids;
    const values = out.values;
    let size = 0;
    for (let k = 0; k < features.length; k++) {
      const id = features[k] as number;
      if (id < 0) continue;
      if (tf[id] === 0) ids[size++] = id;
      tf[id] = (tf[id] as number) + 1;
    }
    const wordEnd = this.blockEnds[0] as number;
    const pairEnd = this.blockEnds[1] as number;
    const sublinear = this.config.sublinearTf;
    let wordNorm = 0;
    let pairNorm = 0;
    let charNorm = 0;
    for (let k = 0; k < size; k++) {
      const id = ids[k] as number;
      const count = tf[id] as number;
      tf[id] = 0;
      const value = (sublinear ? 1 + Math.log(count) : count) * (idf[id] as number);
      values[k] = value;
      if (id < wordEnd) wordNorm += value * value;
      else if (id < pairEnd) pairNorm += value * value;
      else charNorm += value * value;
    }
    const [wordWeight, pairWeight, charWeight] = this.weights as [number, number, number];
    const wordScale = wordNorm > 0 ? wordWeight / Math.sqrt(wordNorm) : 0;
    const pairScale = pairNorm > 0 ? pairWeight / Math.sqrt(pairNorm) : 0;
    const charScale = charNorm > 0 ? charWeight / Math.sqrt(charNorm) : 0;
    for (let k = 0; k < size; k++) {
      const id = ids[k] as number;
      values[k] = (values[k] as number) * (id < wordEnd ? wordScale : id < pairEnd ? pairScale : charScale);
    }
    out.size = size;
  }

  encode(text: string, out: Sparse, trace?: Trace): void {
    const words = toWords(text);
    if (trace) trace.words = words;
    this.encodeWords(words, out, trace?.occurrences);
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

/** Encodes texts with a fitted vocabulary, as matrix rows. */
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
      ids = grown(ids, capacity);
      values = grown(values, capacity);
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

/** A copy of `array` with room for `capacity` entries. */
function grown<T extends Int32Array | Uint8Array | Float64Array>(array: T, capacity: number): T {
  const copy = new (array.constructor as new (n: number) => T)(capacity);
  copy.set(array);
  return copy;
}
