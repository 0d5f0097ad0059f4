/**
 * Features are identified by 32-bit hashes of their text, not by the text:
 * the model then stores 4 bytes per feature instead of a string, and a text
 * is featurized without slicing a string per character n-gram. Two features
 * of a vocabulary collide with odds of about n²/2³³ (a handful in 200,000),
 * which merely merges them.
 */

const FNV_PRIME = 0x01000193;

/** Murmur3's finalizer: spreads the bits so that the low ones index a table. */
export function mix(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) | 0;
}

/** One step of FNV-1a over a UTF-16 unit. */
export function step(h: number, code: number): number {
  return Math.imul(h ^ code, FNV_PRIME);
}

export function hashString(seed: number, text: string): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = step(h, text.charCodeAt(i));
  return h;
}

/**
 * An open-addressing map from int32 keys to int32 values. Keys are expected
 * to be hashes already (`mix`), so their low bits index the table directly.
 */
export class IntMap {
  private keys: Int32Array;
  private values: Int32Array;
  private used: Uint8Array;
  private mask: number;
  private count = 0;

  constructor(expected = 1024) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.keys = new Int32Array(capacity);
    this.values = new Int32Array(capacity);
    this.used = new Uint8Array(capacity);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  get(key: number, missing = -1): number {
    let slot = key & this.mask;
    while (this.used[slot] === 1) {
      if (this.keys[slot] === key) return this.values[slot] as number;
      slot = (slot + 1) & this.mask;
    }
    return missing;
  }

  set(key: number, value: number): void {
    this.values[this.slotFor(key)] = value;
  }

  private slotFor(key: number): number {
    let slot = key & this.mask;
    while (this.used[slot] === 1) {
      if (this.keys[slot] === key) return slot;
      slot = (slot + 1) & this.mask;
    }
    if ((this.count + 1) * 2 > this.mask + 1) {
      this.grow();
      return this.slotFor(key);
    }
    this.used[slot] = 1;
    this.keys[slot] = key;
    this.values[slot] = 0;
    this.count++;
    return slot;
  }

  private grow(): void {
    const { keys, values, used } = this;
    const capacity = keys.length * 2;
    this.keys = new Int32Array(capacity);
    this.values = new Int32Array(capacity);
    this.used = new Uint8Array(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < keys.length; i++) {
      if (used[i] !== 1) continue;
      const key = keys[i] as number;
      let slot = key & this.mask;
      while (this.used[slot] === 1) slot = (slot + 1) & this.mask;
      this.used[slot] = 1;
      this.keys[slot] = key;
      this.values[slot] = values[i] as number;
    }
  }
}
