import { describe, expect, it } from "vitest";
import { AppError } from "./errors.js";
import { parseTimestamp, toIso } from "./time.js";

const iso = (input: unknown, endOfDay = false) => toIso(parseTimestamp(input, "at", { endOfDay }));

/** The AppError parseTimestamp throws for `input` (fails the test when it does not throw one). */
function rejection(input: unknown): AppError {
  try {
    parseTimestamp(input, "at");
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error(`${JSON.stringify(input)} was accepted`);
}

describe("parseTimestamp", () => {
  it("reads ISO-8601 without a zone as UTC", () => {
    expect(iso("2026-03-01T12:30:00")).toBe("2026-03-01T12:30:00.000Z");
    expect(iso("2026-03-01T12:30")).toBe("2026-03-01T12:30:00.000Z");
    expect(iso("2026-03-01 12:30:05")).toBe("2026-03-01T12:30:05.000Z");
  });

  it("reads Z and numeric offsets, with or without a colon", () => {
    expect(iso("2026-03-01T12:30:00Z")).toBe("2026-03-01T12:30:00.000Z");
    expect(iso("2026-03-01t12:30:00z")).toBe("2026-03-01T12:30:00.000Z");
    expect(iso("2026-03-01T12:30:00+01:00")).toBe("2026-03-01T11:30:00.000Z");
    expect(iso("2026-03-01T12:30:00-0530")).toBe("2026-03-01T18:00:00.000Z");
    expect(iso("2026-03-01T00:30:00+05:45")).toBe("2026-02-28T18:45:00.000Z");
    expect(iso("2026-03-01T12:00:00+14:00")).toBe("2026-02-28T22:00:00.000Z");
  });

  it("keeps milliseconds and truncates finer fractions", () => {
    expect(iso("2026-03-01T12:30:00.5Z")).toBe("2026-03-01T12:30:00.500Z");
    expect(iso("2026-03-01T12:30:00.123Z")).toBe("2026-03-01T12:30:00.123Z");
    expect(iso("2026-03-01T12:30:00.123999999Z")).toBe("2026-03-01T12:30:00.123Z");
    expect(iso("2026-03-01T12:30:00,25Z")).toBe("2026-03-01T12:30:00.250Z");
  });

  it("reads a date alone as its start, or its last millisecond with endOfDay", () => {
    expect(iso("2026-03-01")).toBe("2026-03-01T00:00:00.000Z");
    expect(iso("2026-03-01", true)).toBe("2026-03-01T23:59:59.999Z");
    // endOfDay only widens a date alone, never a full timestamp.
    expect(iso("2026-03-01T10:00:00Z", true)).toBe("2026-03-01T10:00:00.000Z");
  });

  it("reads epoch milliseconds as a number or a string", () => {
    expect(parseTimestamp(1_700_000_000_000, "at")).toBe(1_700_000_000_000);
    expect(parseTimestamp("1700000000000", "at")).toBe(1_700_000_000_000);
    expect(parseTimestamp(" 1700000000000 ", "at")).toBe(1_700_000_000_000);
    expect(parseTimestamp(-1_700_000_000_000, "at")).toBe(-1_700_000_000_000);
    expect(parseTimestamp("-1700000000000", "at")).toBe(-1_700_000_000_000);
  });

  it("rejects epoch seconds, saying they look like seconds", () => {
    for (const input of [1_700_000_000, "1700000000", 0, "0", -1_700_000_000]) {
      const err = rejection(input);
      expect(err.code).toBe("invalid_timestamp");
      expect(err.message).toMatch(/seconds/);
    }
    expect(rejection(1_700_000_000).message).toContain("1700000000000");
  });

  it("rejects non-integer and unsafe epoch numbers", () => {
    for (const input of [
      1_700_000_000_000.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 53,
      "99999999999999999999",
    ]) {
      expect(rejection(input).code).toBe("invalid_timestamp");
    }
  });

  it("rejects impossible dates and times", () => {
    for (const input of [
      "2026-02-30",
      "2026-04-31",
      "2026-13-01",
      "2026-00-10",
      "2026-01-00",
      "2026-01-32",
      "2026-03-01T24:00:00Z",
      "2026-03-01T12:60:00Z",
      "2026-03-01T12:30:60Z",
      "2026-03-01T12:00:00+15:00",
      "2026-03-01T12:00:00+01:60",
    ]) {
      const err = rejection(input);
      expect(err.code, input).toBe("invalid_timestamp");
      expect(err.details).toEqual({ field: "at" });
    }
  });

  it("names the field and the problem", () => {
    expect(rejection("2026-02-30").message).toBe("at: 2026-02 has no day 30");
    expect(rejection("2026-13-01").message).toBe("at: month 13 does not exist");
  });

  it("knows leap years", () => {
    expect(iso("2024-02-29")).toBe("2024-02-29T00:00:00.000Z");
    expect(iso("2000-02-29")).toBe("2000-02-29T00:00:00.000Z");
    expect(rejection("2023-02-29").code).toBe("invalid_timestamp");
    expect(rejection("1900-02-29").code).toBe("invalid_timestamp");
    expect(rejection("2100-02-29").code).toBe("invalid_timestamp");
  });

  it("accepts years 0001 to 9999 and nothing outside", () => {
    expect(iso("0001-01-01T00:00:00Z")).toBe("0001-01-01T00:00:00.000Z");
    // Years below 100 are not shifted into the 1900s.
    expect(iso("0099-06-15")).toBe("0099-06-15T00:00:00.000Z");
    expect(iso("9999-12-31T23:59:59.999Z")).toBe("9999-12-31T23:59:59.999Z");
    expect(iso("9999-12-31", true)).toBe("9999-12-31T23:59:59.999Z");
    expect(parseTimestamp(-62135596800000, "at")).toBe(Date.parse("0001-01-01T00:00:00Z"));
    expect(parseTimestamp(253402300799999, "at")).toBe(Date.parse("9999-12-31T23:59:59.999Z"));
    for (const input of [
      "0000-01-01",
      "0000-12-31T23:59:59Z",
      "10000-01-01",
      "+010000-01-01T00:00:00Z",
      // In range as written, out of range once the offset is applied.
      "0001-01-01T00:00:00+01:00",
      "9999-12-31T23:30:00-01:00",
      -62135596800001,
      253402300800000,
    ]) {
      expect(rejection(input).code, String(input)).toBe("invalid_timestamp");
    }
  });

  it("rejects garbage and other types", () => {
    for (const input of [
      "",
      "   ",
      "yesterday",
      "2026-3-1",
      "2026/03/01",
      "01/03/2026",
      "2026-03-01T",
      "2026-03-01T12",
      "2026-03-01T12:30:00ZZ",
      "2026-03-01T12:30:00 UTC",
      "2026-03-01\u0000",
      "1.7e12",
      "0x1",
      "２０２６-03-01",
      null,
      undefined,
      true,
      {},
      [],
    ]) {
      expect(rejection(input).code, JSON.stringify(input)).toBe("invalid_timestamp");
    }
  });
});
