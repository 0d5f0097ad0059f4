import type { FastifyRequest } from "fastify";
import { parse, YAMLError } from "yaml";
import { AppError } from "../errors.js";

/** The content types PUT /api/taxonomy reads as YAML (JSON is YAML too). */
export const YAML_TYPES = ["application/yaml", "application/x-yaml", "text/yaml"];

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function syntaxError(message: string, line?: number): AppError {
  const where = line === undefined ? "" : `line ${line}: `;
  return new AppError("invalid_taxonomy", `The taxonomy is not valid YAML: ${where}${message}`, {
    issues: [
      { label: null, field: "", message: `${where}${message}`, ...(line === undefined ? {} : { line }) },
    ],
  });
}

/**
 * A taxonomy written as YAML or JSON text (as a person edits it, or as the CLI
 * reads a file), parsed to the value compileTaxonomy checks. A syntax error is
 * the same 400 `invalid_taxonomy` as any other problem, its issue giving the
 * line, so an editor can point at it. Aliases are capped (no "billion laughs");
 * a `__proto__` key stays an own key, which the taxonomy's schema then refuses.
 */
export function parseTaxonomyText(text: string): unknown {
  try {
    return parse(text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    if (err instanceof YAMLError) {
      const line = err.linePos?.[0]?.line;
      // With prettyErrors the message ends "at line N, column M:" and a snippet; the line is given apart.
      const first = (err.message.split("\n")[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, "");
      throw syntaxError(first, line);
    }
    // The yaml package's refusal of too many aliases is a plain error.
    throw syntaxError((err as Error).message);
  }
}

/** Fastify's parser for a YAML body: strict UTF-8, then parseTaxonomyText. */
export function parseYamlBody(
  _request: FastifyRequest,
  body: string | Buffer,
  done: (err: Error | null, value?: unknown) => void,
): void {
  let text: string;
  try {
    text = typeof body === "string" ? body : UTF8.decode(body);
  } catch {
    done(new AppError("invalid_json", "The body is not valid UTF-8; send YAML as UTF-8."));
    return;
  }
  try {
    done(null, parseTaxonomyText(text));
  } catch (err) {
    done(err as Error);
  }
}
