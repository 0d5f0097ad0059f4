import { z } from "zod";

/**
 * Input rules shared by the HTTP API and the importer, so a line of an import
 * file and a request body are held to the same standard.
 */

// Unicode's control characters (Cc): C0, DEL and C1. C1 (U+0080–U+009F) includes NEL and CSI,
// which terminals and log viewers act on just as they do on ESC.
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const MAX_ID_LENGTH = 255;
const MAX_JSON_DEPTH = 32;

/** 1–`max` characters (code points), no control characters, no lone surrogates; any other unicode. */
const idLike = (max: number) =>
  z.string().superRefine((value, ctx) => {
    const length = [...value].length;
    if (length === 0) ctx.addIssue({ code: "custom", message: "must not be empty" });
    else if (length > max) ctx.addIssue({ code: "custom", message: `must be at most ${max} characters` });
    if (CONTROL.test(value)) ctx.addIssue({ code: "custom", message: "must not contain control characters" });
    if (!value.isWellFormed())
      ctx.addIssue({ code: "custom", message: "must be valid unicode (no lone surrogates)" });
  });

/** An item id: 1–255 characters, no control characters, no lone surrogates; any other unicode. */
export const idSchema = idLike(MAX_ID_LENGTH);

/**
 * A name in a path or a body (a label's): held to an id's rules, so what
 * cannot be stored (NUL, lone surrogates) is refused alike on both backends.
 */
export const nameSchema = (max: number) => idLike(max);

/**
 * The query of a route that takes no parameters. A parameter the route does
 * not know must not be ignored while the request goes ahead: `DELETE
 * …?dry_run=true` would delete.
 */
export const noQuery = z.strictObject({}).describe("this route takes no query parameters");

/** A keyset cursor that is a row id: digits, within what both backends and JavaScript hold exactly. */
export const idCursor = z
  .string()
  .regex(/^\d{1,16}$/, "must be a next_cursor from a previous page")
  .refine((value) => Number.isSafeInteger(Number(value)), "must be a next_cursor from a previous page");

/**
 * The body of a route whose parameters are in the query string: none (which
 * Fastify passes on as null), or `{}`. Parameters sent in a body instead must
 * not be ignored while the request goes ahead with its defaults.
 */
export const noBody = (hint: string) =>
  z
    .strictObject(
      {},
      { error: (issue) => (issue.code === "unrecognized_keys" ? `takes no body; ${hint}` : undefined) },
    )
    .nullish()
    .describe(`none; ${hint}`);

/** Free text: any well-formed unicode except NUL, which PostgreSQL cannot store. */
export const textSchema = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => !value.includes("\u0000"), "must not contain NUL (\\u0000) characters")
    .refine((value) => value.isWellFormed(), "must be valid unicode (no lone surrogates)");

function jsonProblem(value: unknown, depth: number): string | undefined {
  if (depth > MAX_JSON_DEPTH) return `is nested deeper than ${MAX_JSON_DEPTH} levels`;
  if (typeof value === "string") {
    if (value.includes("\u0000")) return "contains a NUL (\\u0000) character";
    if (!value.isWellFormed()) return "contains a lone surrogate";
    return undefined;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = jsonProblem(item, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const problem = jsonProblem(key, depth) ?? jsonProblem(item, depth + 1);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** A JSON object that both backends store intact (no NUL, no lone surrogates, bounded depth). */
export const jsonObjectSchema = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const problem = jsonProblem(value, 1);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** A timestamp as sent: ISO-8601 or epoch milliseconds; `parseTimestamp` gives it meaning. */
export const timestampInput = z
  .union([z.string(), z.number()])
  .describe("ISO-8601 (no zone means UTC) or epoch milliseconds");

/**
 * A whole number from a path or query string, strictly decimal: `z.coerce`
 * would also take `1e3`, `0x10`, ` 1` or `+1`.
 */
export const intParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d{1,16}$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
