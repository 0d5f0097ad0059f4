/**
 * The model's binary format, version 1:
 *
 *   "RLTC"  magic (4 bytes)
 *   u8      format version (1)
 *   …       zlib (deflate) stream of the body; its Adler-32 catches corruption
 *
 * Body:
 *   u32 LE  byte length of the JSON header that follows
 *   JSON    labels, flags, feature configuration and block sizes, calibration,
 *           thresholds, biases and weight scales (doubles print round-trip
 *           exactly in JSON)
 *   (pad)   zeros up to a multiple of 4 bytes
 *   i32[d]  feature keys (hashes; see hash.ts), little-endian
 *   f32[d]  IDF of each feature, little-endian
 *   i8[d·L] weights, feature-major (see weights.ts)
 *
 * The in-memory model holds exactly these numbers (IDF as float32, weights
 * as int8), so a deserialized model gives bit-identical scores. Everything
 * read is checked, so a corrupt or foreign blob throws here instead of
 * making a model that fails later.
 */

import { deflateSync, inflateSync } from "node:zlib";
import type { Calibration } from "./calibration.js";
import { BLOCKS, type FeatureConfig, FeatureSpace } from "./features.js";
import type { ModelParts } from "./model.js";
import { LabelWeights } from "./weights.js";

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
  weightBits: 8;
  scales: number[];
  bias: number[];
}

export function encodeModel(parts: ModelParts): Uint8Array {
  const L = parts.labels.length;
  const d = parts.space.size;
  const { calibration, weights } = parts;
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
    weightBits: 8,
    scales: Array.from(weights.scales),
    bias: Array.from(weights.bias),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const offset = align4(4 + json.length);
  const body = new Uint8Array(offset + 8 * d + d * L);
  const view = new DataView(body.buffer);
  view.setUint32(0, json.length, true);
  body.set(json, 4);
  let at = offset;
  for (let j = 0; j < d; j++, at += 4) view.setInt32(at, parts.space.keys[j] as number, true);
  for (let j = 0; j < d; j++, at += 4) view.setFloat32(at, parts.space.idf[j] as number, true);
  body.set(new Uint8Array(weights.quantized.buffer, weights.quantized.byteOffset, d * L), at);
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
  for (const key of ["wordWeight", "pairWeight", "charWeight"]) {
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
  check(h.weightBits === 8, "weight format invalid");
  check(numbers(h.scales, L) && h.scales.every((s) => s > 0), "weight scales invalid");
  check(numbers(h.bias, L), "biases invalid");
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
  check(body.length === offset + 8 * d + d * L, "model data has the wrong length");
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
  const quantized = new Int8Array(d * L);
  quantized.set(new Int8Array(body.buffer, body.byteOffset + at, d * L));
  const calibration: Calibration =
    header.calibration.kind === "softmax"
      ? { kind: "softmax", scale: header.calibration.scale }
      : {
          kind: "platt",
          a: Float64Array.from(header.calibration.a),
          b: Float64Array.from(header.calibration.b),
        };
  return {
    labels: header.labels,
    multiLabel: header.multiLabel,
    examples: header.examples,
    space: new FeatureSpace(header.features, keys, header.blockEnds, idf),
    weights: new LabelWeights(L, quantized, Float64Array.from(header.scales), Float64Array.from(header.bias)),
    calibration,
    thresholds: Float64Array.from(header.thresholds),
  };
}
