import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, type FreshDatabase, freshDatabase } from "../../test/helpers/db.js";
import { transaction } from "../db/database.js";
import { AppError } from "../errors.js";
import { putConversation } from "../items/conversations.js";
import { appendNoteVersion } from "../items/notes.js";
import { idSchema } from "../validation.js";
import { type AnalysisKey, normalizeAnalysisKey } from "./key.js";

/**
 * Property tests for the key of topic `conversation_note_analysis`: whatever
 * is published as a key, it normalizes to one existing item, or is refused
 * with one of the catalogued key errors, never anything else.
 */

const RUNS = { numRuns: 300 };
const KEY_ERRORS = ["invalid_key", "conversation_not_found", "note_not_found", "note_version_not_found"];

// Seeded items; the ids include non-ASCII on purpose.
const CONVERSATION = "conv-ü/1 😀";
const NOTE = "note-1";
const LATEST = 2;

type Outcome = { key: AnalysisKey } | { error: unknown };

describe.each(BACKENDS)("normalizeAnalysisKey on %s: properties", (backend) => {
  let t: FreshDatabase;

  beforeAll(async () => {
    t = await freshDatabase(backend);
    await transaction(t.database, async (trx) => {
      await putConversation(trx, CONVERSATION, { subject: "hello", messages: [] });
      await appendNoteVersion(trx, NOTE, { text: "first" });
      await appendNoteVersion(trx, NOTE, { text: "second" });
    });
  });
  afterAll(() => t?.cleanup());

  async function outcome(key: unknown): Promise<Outcome> {
    try {
      return { key: await normalizeAnalysisKey(t.database.db, key) };
    } catch (error) {
      return { error };
    }
  }

  /** The contract: a valid key of an existing item, or a catalogued key error. */
  async function checkContract(key: unknown): Promise<Outcome> {
    const result = await outcome(key);
    if ("key" in result) {
      const k = result.key as Record<string, unknown>;
      if ("conversation_fs_id" in k) {
        expect(k).toEqual({ conversation_fs_id: CONVERSATION });
      } else {
        expect(k).toEqual({ note_id: NOTE, note_version: expect.any(Number) });
        expect(Number.isSafeInteger(k.note_version)).toBe(true);
        expect(k.note_version).toBeGreaterThanOrEqual(1);
        expect(k.note_version).toBeLessThanOrEqual(LATEST);
      }
    } else {
      expect(result.error).toBeInstanceOf(AppError);
      const err = result.error as AppError;
      expect(KEY_ERRORS).toContain(err.code);
    }
    return result;
  }

  /** Values a field can hold: the seeded ids, near misses, and anything else. */
  const fieldValue = fc.oneof(
    fc.constantFrom(CONVERSATION, NOTE, "", null, undefined, 0, 1, 2, 3, -1, "1", "2", "3", "02", " 2"),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 1.5, 2 ** 31, 2 ** 31 - 1, 2 ** 53, 1n, true),
    fc.constantFrom("1e0", "0x1", "+1", "2.0", "9".repeat(400), `${"0".repeat(300)}2`),
    fc.string(),
    fc.string({ unit: "binary" }),
    fc.string({ unit: "grapheme", maxLength: 300 }),
    // Control characters, alone or around a real id.
    fc
      .tuple(fc.integer({ min: 0, max: 0x1f }), fc.constantFrom(NOTE, CONVERSATION, "x"))
      .map(([c, id]) => `${id}${String.fromCharCode(c)}`),
    fc.constantFrom("\u007f", "\u0000", "\ud800", `${NOTE}\udc00`, "\u2028", "\ufeff"),
    // Huge strings, around the 255-character limit and far past it.
    fc.integer({ min: 250, max: 260 }).map((n) => "x".repeat(n)),
    fc.integer({ min: 250, max: 260 }).map((n) => "😀".repeat(n)),
    fc.constantFrom("x".repeat(100_000), "9".repeat(100_000)),
    fc.anything({ maxDepth: 2 }),
  );

  const FIELDS = ["conversation_fs_id", "note_id", "note_version"];
  const STRANGE_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", ""];

  /** Objects with a random subset of the fields, sometimes with keys that are not fields. */
  const keyObject = fc
    .tuple(
      fc.subarray(FIELDS),
      fc.array(fieldValue, { minLength: 3, maxLength: 3 }),
      fc.subarray(STRANGE_KEYS, { maxLength: 2 }),
      fc.option(fc.string({ maxLength: 5 }), { freq: 4 }),
      fc.boolean(),
    )
    .map(([fields, values, strange, extra, viaJson]) => {
      // JSON.parse and defineProperty make `__proto__` an own key, as a JSON body would.
      const key: Record<string, unknown> = viaJson ? JSON.parse("{}") : {};
      const define = (name: string, value: unknown) =>
        Object.defineProperty(key, name, { value, enumerable: true, writable: true, configurable: true });
      for (const [i, f] of fields.entries()) define(f, values[i]);
      for (const s of strange) define(s, values[0]);
      if (extra !== null) define(extra, values[1]);
      return key;
    });

  it("takes any value: a valid key, or a catalogued key error", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.anything({
          withBigInt: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
        }),
        async (key) => {
          await checkContract(key);
        },
      ),
      RUNS,
    );
  });

  it("takes any object with some of the fields: a valid key, or a catalogued key error", async () => {
    await fc.assert(
      fc.asyncProperty(keyObject, async (key) => {
        const result = await checkContract(key);
        const own = Object.keys(key);
        // Unknown fields are refused before anything else.
        if (own.some((k) => !FIELDS.includes(k))) {
          expect("error" in result && (result.error as AppError).code).toBe("invalid_key");
        }
      }),
      RUNS,
    );
  });

  it("takes prototype-pollution keys as unknown fields, and pollutes nothing", async () => {
    for (const text of [
      `{"__proto__": {"conversation_fs_id": "${CONVERSATION}"}}`,
      `{"note_id": "${NOTE}", "__proto__": {"note_version": 1}}`,
      `{"constructor": {"prototype": {"note_id": "${NOTE}"}}}`,
    ]) {
      const result = await checkContract(JSON.parse(text));
      expect("error" in result && (result.error as AppError).code, text).toBe("invalid_key");
    }
    expect(({} as Record<string, unknown>).note_id).toBeUndefined();
    expect(({} as Record<string, unknown>).conversation_fs_id).toBeUndefined();
  });

  it("normalizes valid keys of the seeded items deterministically", async () => {
    const absent = fc.constantFrom(undefined, null, "");
    const version = fc.oneof(
      fc.integer({ min: 1, max: LATEST }),
      fc.integer({ min: 1, max: LATEST }).map(String),
      fc.integer({ min: 1, max: LATEST }).map((v) => `00${v}`),
    );
    const valid = fc.oneof(
      fc.record(
        { conversation_fs_id: fc.constant(CONVERSATION), note_id: absent, note_version: absent },
        { requiredKeys: ["conversation_fs_id"] },
      ),
      fc.record({ note_id: fc.constant(NOTE), note_version: fc.option(version, { nil: undefined }) }),
      fc.record({ note_id: fc.constant(NOTE), note_version: absent, conversation_fs_id: absent }),
    );
    await fc.assert(
      fc.asyncProperty(valid, async (key) => {
        const first = await normalizeAnalysisKey(t.database.db, key);
        expect(await normalizeAnalysisKey(t.database.db, key)).toEqual(first);
        if ("conversation_fs_id" in key && present(key.conversation_fs_id)) {
          expect(first).toEqual({ conversation_fs_id: CONVERSATION });
        } else {
          const wanted = present(key.note_version) ? Number(key.note_version) : LATEST;
          expect(first).toEqual({ note_id: NOTE, note_version: wanted });
          // The normalized key is itself valid, and normalizes to itself.
          expect(await normalizeAnalysisKey(t.database.db, first)).toEqual(first);
        }
      }),
      RUNS,
    );
  });

  it("reads a version as a number or a string of digits alike", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (v) => {
        const asNumber = await outcome({ note_id: NOTE, note_version: v });
        const asString = await outcome({ note_id: NOTE, note_version: String(v) });
        if ("key" in asNumber) {
          expect(asString).toEqual(asNumber);
        } else {
          expect("error" in asString).toBe(true);
          const [a, b] = [asNumber.error, (asString as { error: unknown }).error] as AppError[];
          expect(a?.code).toBe("note_version_not_found");
          expect(b?.code).toBe(a?.code);
          expect(b?.details).toEqual(a?.details);
        }
      }),
      RUNS,
    );
  });

  it("refuses unknown items with their not-found codes", async () => {
    const otherId = fc
      .string({ unit: "grapheme", minLength: 1, maxLength: 50 })
      .filter((s) => s !== CONVERSATION && s !== NOTE && idSchema.safeParse(s).success);
    await fc.assert(
      fc.asyncProperty(otherId, async (id) => {
        const conversation = await outcome({ conversation_fs_id: id });
        expect("error" in conversation && (conversation.error as AppError).code).toBe(
          "conversation_not_found",
        );
        const note = await outcome({ note_id: id });
        expect("error" in note && (note.error as AppError).code).toBe("note_not_found");
      }),
      RUNS,
    );
  });
});

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}
