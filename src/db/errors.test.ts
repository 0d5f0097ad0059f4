import { describe, expect, it } from "vitest";
import { databaseErrorCode } from "./errors.js";

describe("databaseErrorCode", () => {
  it.each([
    [{ code: "SQLITE_FULL" }, "storage_full"],
    [{ code: "53100" }, "storage_full"],
    [{ code: "SQLITE_BUSY" }, "database_unavailable"],
    [{ code: "SQLITE_IOERR_WRITE" }, "database_unavailable"],
    [{ code: "57P01" }, "database_unavailable"],
    [{ code: "08006" }, "database_unavailable"],
    [{ code: "53300" }, "database_unavailable"],
    [{ code: "ECONNREFUSED" }, "database_unavailable"],
    [new Error("Connection terminated unexpectedly"), "database_unavailable"],
    [new Error("Client has encountered a connection error and is not queryable"), "database_unavailable"],
  ])("classifies %o as %s", (err, code) => {
    expect(databaseErrorCode(err)).toBe(code);
  });

  it.each([
    [{ code: "23505" }],
    [{ code: "SQLITE_CONSTRAINT_UNIQUE" }],
    [{ code: "22P02" }],
    [new Error("syntax error")],
    [null],
    ["SQLITE_FULL"],
    [{ code: 5 }],
  ])("leaves %o to the caller", (err) => {
    expect(databaseErrorCode(err)).toBeUndefined();
  });
});
