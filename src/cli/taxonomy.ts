import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { loadConfig } from "../config.js";
import { transaction } from "../db/database.js";
import { AppError } from "../errors.js";
import { currentTaxonomy, saveTaxonomy } from "../labels/taxonomy-store.js";
import { createLogger } from "../logger.js";
import { openMigrated } from "./open.js";
import { printJson } from "./output.js";

/** JSON is YAML too, so one parser reads both; a syntax error names the line. */
export function readTaxonomyFile(path: string): unknown {
  try {
    return parseYaml(readFileSync(path, "utf8"), { prettyErrors: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw err;
    throw new AppError("invalid_taxonomy", `${path}: ${(err as Error).message}`);
  }
}

function describeIssues(err: AppError): string {
  const issues = (err.details as { issues?: { label: string | null; field: string; message: string }[] })
    ?.issues;
  if (!issues?.length) return err.message;
  return issues.map((i) => `  ${i.label ?? "taxonomy"} ${i.field}: ${i.message}`).join("\n");
}

export function taxonomyCommand(program: Command): void {
  const taxonomy = program.command("taxonomy").description("Show or change the taxonomy");

  taxonomy
    .command("apply")
    .description(
      "Replace the taxonomy with FILE (JSON or YAML); makes a new version, re-labels nothing by itself",
    )
    .argument("<file>", "taxonomy file: {labels: [...]}")
    .option("--json", "print exactly one JSON document on stdout: the new taxonomy, as PUT /api/taxonomy")
    .option("-d, --database-url <url>", "database (env DATABASE_URL)")
    .action(async (file: string, opts: { json?: boolean; databaseUrl?: string }) => {
      const config = loadConfig(process.env, { DATABASE_URL: opts.databaseUrl });
      const input = readTaxonomyFile(file);
      const database = await openMigrated(config, createLogger(config.logLevel));
      try {
        const saved = await transaction(database, (trx) => saveTaxonomy(database, trx, input));
        if (opts.json) printJson(saved);
        else process.stdout.write(`taxonomy version ${saved.version}: ${saved.labels.length} labels\n`);
      } catch (err) {
        if (err instanceof AppError && err.code === "invalid_taxonomy") {
          throw new AppError(
            "invalid_taxonomy",
            `${file} does not compile; the current taxonomy stays:\n${describeIssues(err)}`,
          );
        }
        throw err;
      } finally {
        await database.close();
      }
    });

  taxonomy
    .command("show")
    .description("Print the current taxonomy")
    .option("--json", "print exactly one JSON document on stdout, as GET /api/taxonomy (instead of YAML)")
    .option("-d, --database-url <url>", "database (env DATABASE_URL)")
    .action(async (opts: { json?: boolean; databaseUrl?: string }) => {
      const config = loadConfig(process.env, { DATABASE_URL: opts.databaseUrl });
      const database = await openMigrated(config, createLogger(config.logLevel));
      try {
        const current = await currentTaxonomy(database.db);
        if (opts.json) printJson(current);
        else process.stdout.write(toYaml(current));
      } finally {
        await database.close();
      }
    });
}
