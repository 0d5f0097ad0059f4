/**
 * The model's binary format, version 1:
 *
 *   "RLTC"  magic (4 bytes)
 *   u8      format version
 *   …       zlib (deflate) stream of the body; its Adler-32 catches corruption
 *
 * Body, little-endian:
 *   u32     byte length of the JSON header that follows
 *   JSON    labels, flags, feature configuration, calibration, thresholds,
 *           weight scales and array lengths
 *   (pad)   zeros up to a multiple of 4 bytes
 *   i32[d]  feature keys (hashes; see hash.ts)
 *   f32[d]  IDF of each feature
 *   f32[L]  bias of each label
 *   w[d·L]  weights, feature-major, as i8 or i16 multiples of the label's
 *           scale, or as f32
 *
 * Numbers in the JSON are doubles printed round-trip exactly, and the weights
 * in memory are already the stored ones (model.ts rounds them at training),
 * so a deserialized model gives bit-identical scores. Everything read is
 * checked, so a corrupt or foreign blob throws instead of making a model that
 * fails later.
 */

import { deflateSync, inflateSync } from "node:zlib";
import type { Calibration } from "./calibration.js";
import { BLOCKS, type FeatureConfig, FeatureSpace } from "./features.js";
import type { ModelParts } from "./model.js";
import { LabelWeights, type WeightBits } from "./weights.js";

const MAGIC = [0x52, 0x4c, 0x54, 0x43]; // "RLTC"
const VERSION = 1;

interface Header {
  labels: string[];
  multiLabel: boolean;
  examples: number;
  features: FeatureConfig;
  featureCount: number;
  blockEnds: number[];
  calibration: { kind: "softmax"; scale: number } | { kind: "platt"; a: number[]; b: number[] };
  thresholds: number[];
  weightBits: WeightBits;
  scales: number[];
}

export function encodeModel(parts: ModelParts): Uint8Array {
  const L = parts.labels.length;
  const d = parts.space.size;
  const calibration = parts.calibration;
  const header: Header = {
    labels: parts.labels,
    multiLabel: parts.multiLabel,
    examples: parts.examples,
    features: parts.space.config,
    featureCount: d,
    blockEnds: [...parts.space.blockEnds],
    calibration:
      calibration.kind === "softmax"
        ? calibration
        : { kind: "platt", a: Array.from(calibration.a), b: Array.from(calibration.b) },
    thresholds: Array.from(parts.thresholds),
    weightBits: parts.weights.bits,
    scales: Array.from(parts.weights.scales),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerEnd = align4(4 + json.length);
  const bits = parts.weights.bits;
  const scales = parts.weights.scales;
  const weightBytes = (d * L * bits) / 8;
  const body = new Uint8Array(headerEnd + 4 * d + 4 * d + 4 * L + weightBytes);
  const view = new DataView(body.buffer);
  view.setUint32(0, json.length, true);
  body.set(json, 4);
  let at = headerEnd;
  for (let j = 0; j < d; j++, at += 4) view.setInt32(at, parts.space.keys[j] as number, true);
  for (let j = 0; j < d; j++, at += 4) view.setFloat32(at, parts.space.idf[j] as number, true);
  for (let c = 0; c < L; c++, at += 4) view.setFloat32(at, parts.weights.bias[c] as number, true);
  const weights = parts.weights.dense;
  if (bits === 32) {
    for (let k = 0; k < weights.length; k++, at += 4) view.setFloat32(at, weights[k] as number, true);
  } else {
    for (let k = 0; k < weights.length; k++) {
      const q = Math.round((weights[k] as number) / (scales[k % L] as number));
      if (bits === 8) view.setInt8(at++, q);
      else {
        view.setInt16(at, q, true);
        at += 2;
      }
    }
  }
  const packed = deflateSync(body, { level: 6 });
  const out = new Uint8Array(5 + packed.length);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  out.set(packed, 5);
  return out;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function fail(why: string): never {
  throw new Error(`TextClassifier.deserialize: ${why}`);
}

function check(condition: boolean, why: string): asserts condition {
  if (!condition) fail(why);
}

const isFiniteNumber = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const numbers = (x: unknown, length: number): x is number[] =>
  Array.isArray(x) && x.length === length && x.every(isFiniteNumber);

function checkFeatures(f: unknown): asserts f is FeatureConfig {
  check(typeof f === "object" && f !== null, "feature configuration missing");
  const c = f as Record<string, unknown>;
  for (const key of ["wordMaxN", "pairWindow", "charMin", "charMax", "minDf"]) {
    check(isCount(c[key]), `feature setting ${key} invalid`);
  }
  for (const key of ["stem", "sublinearTf"])
    check(typeof c[key] === "boolean", `feature setting ${key} invalid`);
  for (const key of ["maxDfShare", "wordWeight", "pairWeight", "charWeight"]) {
    check(isFiniteNumber(c[key]) && (c[key] as number) >= 0, `feature setting ${key} invalid`);
  }
  check(
    (c.wordMaxN as number) <= 2 && (c.pairWindow as number) <= 64 && (c.charMax as number) <= 10,
    "feature settings out of range",
  );
  check((c.charMax as number) === 0 || (c.charMin as number) >= 1, "feature settings out of range");
}

function readHeader(body: Uint8Array): { header: Header; offset: number } {
  check(body.length >= 4, "truncated header");
  const length = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0, true);
  check(4 + length <= body.length, "truncated header");
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body.subarray(4, 4 + length)));
  } catch {
    fail("header is not valid JSON");
  }
  check(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed), "header is not an object");
  const h = parsed as Record<string, unknown>;
  const labels = h.labels;
  check(
    Array.isArray(labels) && labels.length >= 2 && labels.every((l) => typeof l === "string" && l !== ""),
    "labels invalid",
  );
  check(new Set(labels).size === labels.length, "duplicate labels");
  const L = labels.length;
  check(typeof h.multiLabel === "boolean", "multiLabel flag invalid");
  check(isCount(h.examples), "example count invalid");
  checkFeatures(h.features);
  check(isCount(h.featureCount), "feature count invalid");
  const ends = h.blockEnds;
  check(
    Array.isArray(ends) &&
      ends.length === BLOCKS &&
      ends.every(
        (end, b) => isCount(end) && end >= (b === 0 ? 0 : ends[b - 1]) && end <= (h.featureCount as number),
      ) &&
      ends[BLOCKS - 1] === h.featureCount,
    "feature blocks invalid",
  );
  const calibration = h.calibration as Record<string, unknown> | null;
  check(typeof calibration === "object" && calibration !== null, "calibration missing");
  if (calibration.kind === "softmax") check(isFiniteNumber(calibration.scale), "calibration invalid");
  else
    check(
      calibration.kind === "platt" && numbers(calibration.a, L) && numbers(calibration.b, L),
      "calibration invalid",
    );
  check(numbers(h.thresholds, L) && h.thresholds.every((t) => t >= 0 && t <= 1), "thresholds invalid");
  check(h.weightBits === 8 || h.weightBits === 16 || h.weightBits === 32, "weight format invalid");
  check(numbers(h.scales, L) && h.scales.every((s) => s > 0 || h.weightBits === 32), "weight scales invalid");
  return { header: h as unknown as Header, offset: align4(4 + length) };
}

export function decodeModel(bytes: Uint8Array): ModelParts {
  check(bytes instanceof Uint8Array, "expected a Uint8Array");
  check(bytes.length > 5 && MAGIC.every((b, i) => bytes[i] === b), "not a relabel classifier model");
  check(bytes[4] === VERSION, `unsupported format version ${bytes[4]}`);
  let body: Uint8Array;
  try {
    body = new Uint8Array(inflateSync(bytes.subarray(5)));
  } catch {
    fail("corrupt model data");
  }
  const { header, offset } = readHeader(body);
  const L = header.labels.length;
  const d = header.featureCount;
  const expected = offset + 8 * d + 4 * L + (d * L * header.weightBits) / 8;
  check(body.length === expected, "model data has the wrong length");
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let at = offset;
  const keys = new Int32Array(d);
  for (let j = 0; j < d; j++, at += 4) keys[j] = view.getInt32(at, true);
  const idf = new Float32Array(d);
  for (let j = 0; j < d; j++, at += 4) idf[j] = view.getFloat32(at, true);
  check(
    idf.every((v) => Number.isFinite(v) && v > 0),
    "IDF values invalid",
  );
  const bias = new Float32Array(L);
  for (let c = 0; c < L; c++, at += 4) bias[c] = view.getFloat32(at, true);
  const weights = new Float32Array(d * L);
  const scales = Float64Array.from(header.scales);
  if (header.weightBits === 32) {
    for (let k = 0; k < weights.length; k++, at += 4) weights[k] = view.getFloat32(at, true);
  } else {
    for (let k = 0; k < weights.length; k++) {
      let q: number;
      if (header.weightBits === 8) q = view.getInt8(at++);
      else {
        q = view.getInt16(at, true);
        at += 2;
      }
      weights[k] = q * (scales[k % L] as number);
    }
  }
  check(bias.every(Number.isFinite) && weights.every(Number.isFinite), "weights invalid");
  const calibration: Calibration =
    header.calibration.kind === "softmax"
      ? { kind: "softmax", scale: header.calibration.scale }
      : {
          kind: "platt",
          a: Float64Array.from(header.calibration.a),
          b: Float64Array.from(header.calibration.b),
        };
  const parts: ModelParts = {
    labels: header.labels,
    multiLabel: header.multiLabel,
    examples: header.examples,
    space: new FeatureSpace(header.features, keys, header.blockEnds, idf),
    weights: new LabelWeights(L, header.weightBits, scales, weights, bias),
    calibration,
    thresholds: Float64Array.from(header.thresholds),
  };
  return parts;
}
