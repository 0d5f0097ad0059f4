import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "./errors.js";
import { parseTimestamp } from "./time.js";

/**
 * Property tests for the one timestamp parser. The contract: whatever it is
 * given, it returns a safe integer of epoch milliseconds within years
 * 0001–9999, or throws `invalid_timestamp` naming the field, and it never
 * echoes more than a short prefix of what it was given.
 */

const MIN_MS = Date.parse("0001-01-01T00:00:00.000Z");
const MAX_MS = Date.parse("9999-12-31T23:59:59.999Z");
const DAY_MS = 86_400_000;
const FIELD = "some_field";
const RUNS = { numRuns: 1000 };

/** What one call did: a value, or the error it threw (anything at all). */
function attempt(
  input: unknown,
  field = FIELD,
  options?: { endOfDay?: boolean },
): { value: number } | { error: unknown } {
  try {
    return { value: parseTimestamp(input, field, options) };
  } catch (error) {
    return { error };
  }
}

/**
 * How many leading characters (code points) of `input` the message repeats. A
 * message quotes at most `'<first 40 characters>'`, so a 41st character that
 * is itself a quote would seem echoed by the closing quote: that coincidence
 * is not counted.
 */
function echoedPrefix(message: string, input: string): number {
  const chars = Array.from(input);
  if (chars[40] === "'")
    return echoedPrefix(message, [...chars.slice(0, 40), "\u0001", ...chars.slice(41)].join(""));
  let longest = 0;
  for (let n = 1; n <= chars.length; n++) {
    if (!message.includes(chars.slice(0, n).join(""))) break;
    longest = n;
  }
  return longest;
}

/** Asserts the contract for one input; `field` must occur in the message when it throws. */
function checkContract(input: unknown, field = FIELD, options?: { endOfDay?: boolean }): void {
  const outcome = attempt(input, field, options);
  if ("value" in outcome) {
    expect(Number.isSafeInteger(outcome.value)).toBe(true);
    expect(Object.is(outcome.value, -0)).toBe(false);
    expect(outcome.value).toBeGreaterThanOrEqual(MIN_MS);
    expect(outcome.value).toBeLessThanOrEqual(MAX_MS);
    return;
  }
  const { error } = outcome;
  expect(error).toBeInstanceOf(AppError);
  const err = error as AppError;
  expect(err.code).toBe("invalid_timestamp");
  expect(err.status).toBe(400);
  expect(err.details).toEqual({ field });
  expect(err.message.startsWith(`${field}: `)).toBe(true);
  // Never more than a short prefix of the input in the message (field name aside).
  const rest = err.message.slice(field.length + 2);
  expect(rest.length).toBeLessThan(200);
  if (typeof input === "string") expect(echoedPrefix(rest, input)).toBeLessThanOrEqual(40);
}

/** Strings that look like timestamps, with every part sometimes out of range or malformed. */
const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });
const timestampLike = fc
  .tuple(
    fc.oneof(digits(4, 4), digits(0, 6), fc.constantFrom("0000", "0001", "9999", "+10000", "-0001")),
    fc.constantFrom("-", "/", ""),
    fc.oneof(digits(2, 2), fc.constantFrom("00", "02", "12", "13", "1")),
    fc.oneof(digits(2, 2), fc.constantFrom("00", "28", "29", "30", "31", "32")),
    fc.option(
      fc.tuple(
        fc.constantFrom("T", "t", " ", "x"),
        fc.oneof(digits(2, 2), fc.constantFrom("23", "24")),
        fc.oneof(digits(2, 2), fc.constantFrom("59", "60")),
        fc.option(fc.oneof(digits(2, 2), fc.constantFrom("59", "60"))),
        fc.option(digits(0, 12)),
        fc.option(
          fc.oneof(
            fc.constantFrom("Z", "z", "ZZ"),
            fc.tuple(
              fc.constantFrom("+", "-"),
              fc.oneof(digits(2, 2), fc.constantFrom("14", "15")),
              fc.constantFrom(":", ""),
              digits(2, 2),
            ),
          ),
        ),
      ),
    ),
  )
  .map(([y, s1, mo, d, time]) => {
    let text = `${y}${s1}${mo}${s1}${d}`;
    if (time) {
      const [sep, h, mi, sec, frac, zone] = time;
      text += `${sep}${h}:${mi}`;
      if (sec !== null) text += `:${sec}`;
      if (sec !== null && frac !== null) text += `.${frac}`;
      if (zone !== null) text += typeof zone === "string" ? zone : zone.join("");
    }
    return text;
  });

const anyNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    0,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    Number.EPSILON,
    2 ** 53,
    -(2 ** 53),
    MIN_MS - 1,
    MAX_MS + 1,
    1e11,
    -1e11,
  ),
  fc.integer({ min: MIN_MS - DAY_MS, max: MAX_MS + DAY_MS }),
);

/** A date within the accepted range, at millisecond precision. */
const dateInRange = fc.date({ min: new Date(MIN_MS), max: new Date(MAX_MS), noInvalidDate: true });

describe("parseTimestamp: properties", () => {
  it("takes any JS value: a value in range, or invalid_timestamp", () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true }), (input) =>
        checkContract(input),
      ),
      RUNS,
    );
  });

  it("takes any number: a value in range, or invalid_timestamp", () => {
    fc.assert(
      fc.property(anyNumber, fc.boolean(), (input, endOfDay) => {
        checkContract(input, FIELD, { endOfDay });
        const outcome = attempt(input);
        // A number is taken as it is, or not at all.
        if ("value" in outcome) expect(outcome.value).toBe(input);
        else
          expect(
            Number.isSafeInteger(input) && Math.abs(input) >= 1e11 && input >= MIN_MS && input <= MAX_MS,
          ).toBe(false);
      }),
      RUNS,
    );
  });

  it("takes any string, unicode or not: a value in range, or invalid_timestamp", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: "grapheme" }),
          fc.string({ unit: "binary" }),
          fc.string({ unit: fc.constantFrom(..."0123456789-+:.,TZtz \t\n\u00a0\u2028\ufeff０") }),
          digits(0, 400),
          digits(1, 30).map((d) => `-${d}`),
          timestampLike,
          timestampLike.map((t) => ` \t${t}\n`),
        ),
        fc.boolean(),
        fc.string({ minLength: 1, maxLength: 20 }),
        (input, endOfDay, field) => checkContract(input, field, { endOfDay }),
      ),
      RUNS,
    );
  });

  it("never echoes more than 40 characters of a long input", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ minLength: 41, maxLength: 5000 }),
          fc.string({ unit: "binary", minLength: 41, maxLength: 5000 }),
          timestampLike.chain((t) => fc.string({ minLength: 41 }).map((s) => t + s)),
        ),
        (input) => {
          const outcome = attempt(input);
          if ("value" in outcome) return;
          const err = outcome.error as AppError;
          expect(err.code).toBe("invalid_timestamp");
          expect(echoedPrefix(err.message, input)).toBeLessThanOrEqual(40);
          expect(err.message.length).toBeLessThan(FIELD.length + 200);
        },
      ),
      RUNS,
    );
  });

  it("round-trips any date in range through its ISO string", () => {
    fc.assert(
      fc.property(dateInRange, fc.boolean(), (date, endOfDay) => {
        // endOfDay never changes a full timestamp.
        expect(parseTimestamp(date.toISOString(), FIELD, { endOfDay })).toBe(date.getTime());
      }),
      RUNS,
    );
  });

  it("round-trips epoch milliseconds, as a number or a string of digits", () => {
    const epoch = fc.oneof(
      fc.integer({ min: MIN_MS, max: -1e11 }),
      fc.integer({ min: 1e11, max: MAX_MS }),
      fc.constantFrom(MIN_MS, MAX_MS, 1e11, -1e11),
    );
    fc.assert(
      fc.property(epoch, fc.boolean(), (ms, endOfDay) => {
        expect(parseTimestamp(ms, FIELD, { endOfDay })).toBe(ms);
        expect(parseTimestamp(String(ms), FIELD, { endOfDay })).toBe(ms);
        expect(parseTimestamp(` ${ms}\n`, FIELD)).toBe(ms);
      }),
      RUNS,
    );
  });

  it("rejects epoch values that look like seconds", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e11 + 1, max: 1e11 - 1 }), (n) => {
        for (const input of [n, String(n)]) {
          const outcome = attempt(input);
          expect("error" in outcome).toBe(true);
          if ("error" in outcome) expect((outcome.error as AppError).code).toBe("invalid_timestamp");
        }
      }),
      RUNS,
    );
  });

  it("applies a UTC offset: local time minus the offset", () => {
    fc.assert(
      fc.property(
        dateInRange,
        fc.constantFrom("+", "-"),
        fc.integer({ min: 0, max: 14 }),
        fc.integer({ min: 0, max: 59 }),
        fc.boolean(),
        (date, sign, hours, minutes, colon) => {
          const local = Math.floor(date.getTime() / 1000) * 1000; // whole seconds
          const wall = new Date(local).toISOString().slice(0, 19);
          const pad = (n: number) => String(n).padStart(2, "0");
          const offset = `${sign}${pad(hours)}${colon ? ":" : ""}${pad(minutes)}`;
          const expected = local - (sign === "+" ? 1 : -1) * (hours * 60 + minutes) * 60_000;
          const outcome = attempt(`${wall}${offset}`);
          if (expected >= MIN_MS && expected <= MAX_MS) {
            expect(outcome).toEqual({ value: expected });
          } else {
            expect("error" in outcome && (outcome.error as AppError).code).toBe("invalid_timestamp");
          }
        },
      ),
      RUNS,
    );
  });

  it("reads a date alone as its first millisecond, or its last with endOfDay", () => {
    fc.assert(
      fc.property(dateInRange, (date) => {
        const day = date.toISOString().slice(0, 10);
        const start = Math.floor(date.getTime() / DAY_MS) * DAY_MS;
        expect(parseTimestamp(day, FIELD)).toBe(start);
        expect(parseTimestamp(day, FIELD, { endOfDay: true })).toBe(start + DAY_MS - 1);
      }),
      RUNS,
    );
  });

  it("is monotone: of two dates written alike, the later never parses to an earlier instant", () => {
    const pad = (n: number, width = 2) => String(n).padStart(width, "0");
    /** `date` written in one of the accepted forms, at a given offset, as its local wall time. */
    const write = (date: Date, form: number, offsetMinutes: number): string => {
      const wall = new Date(date.getTime() + offsetMinutes * 60_000).toISOString(); // local wall time
      const sign = offsetMinutes < 0 ? "-" : "+";
      const zone = `${sign}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`;
      switch (form) {
        case 0:
          return wall.slice(0, 10);
        case 1:
          return `${wall.slice(0, 16)}${zone}`;
        case 2:
          return `${wall.slice(0, 10)} ${wall.slice(11, 19)}`;
        case 3:
          return `${wall.slice(0, 23)}${zone}`;
        default:
          return wall;
      }
    };
    fc.assert(
      fc.property(
        dateInRange,
        dateInRange,
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: -14 * 60 - 59, max: 14 * 60 + 59 }),
        fc.boolean(),
        (d1, d2, form, offset, endOfDay) => {
          const [early, late] = d1 <= d2 ? [d1, d2] : [d2, d1];
          const a = attempt(write(early, form, offset), FIELD, { endOfDay });
          const b = attempt(write(late, form, offset), FIELD, { endOfDay });
          // Near year 1 or 9999, an offset can take the wall time out of range: nothing to compare.
          if ("value" in a && "value" in b) expect(a.value).toBeLessThanOrEqual(b.value);
        },
      ),
      RUNS,
    );
  });
});
