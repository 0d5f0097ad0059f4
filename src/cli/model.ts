import { basename } from "node:path";
import type { Command } from "commander";
import { AppError } from "../errors.js";
import { readExamples } from "../models/data.js";
import { type EvaluationReport, MAX_FOLDS, runEvaluation } from "../models/evaluation.js";
import { activateVersion, listModels } from "../models/store.js";
import { trainModel } from "../models/training.js";
import { withDatabase } from "./open.js";
import { printJson } from "./output.js";

const pct = (x: number | undefined) => (x === undefined ? "-" : `${(x * 100).toFixed(1)} %`);

export function modelCommands(program: Command): void {
  const model = program.command("model").description("Train, list and activate learned classifiers");

  model
    .command("train")
    .description(
      "Train a new model version from the taxonomy's examples, hand-set labels and --data FILE; activates it",
    )
    .option(
      "--data <file>",
      "labelled examples: CSV (text + label|category|intent) or JSON [{text, labels|intents}]",
    )
    .option("--no-activate", "store the new version without making it the active one")
    .option("--json", "print exactly one JSON document on stdout: the training report")
    .option("-d, --database-url <url>", "database (env DATABASE_URL)")
    .action(async (opts: { data?: string; activate: boolean; json?: boolean; databaseUrl?: string }) => {
      const file = opts.data ? { name: basename(opts.data), examples: readExamples(opts.data) } : undefined;
      const report = await withDatabase(opts.databaseUrl, (database) =>
        trainModel(database, { file, activate: opts.activate }),
      );
      if (opts.json) return printJson(report);
      if (report.added_to_taxonomy.length > 0) {
        process.stdout.write(
          `taxonomy version ${report.taxonomy_version}: added ${report.added_to_taxonomy.length} labels from ${file?.name} (detect: model)\n`,
        );
      }
      const { sources } = report;
      process.stdout.write(
        `model version ${report.version}${report.active ? " (active)" : ""}: ${report.labels.length} labels, ` +
          `${report.examples} examples (taxonomy ${sources.taxonomy}, by hand ${sources.manual}, file ${sources.file}), ` +
          `trained in ${(report.train_ms / 1000).toFixed(1)} s\n`,
      );
      if (report.active) {
        process.stdout.write(
          "New analyses use it now. To re-label what exists: relabel reanalyze --dry-run first, then relabel reanalyze.\n",
        );
      }
    });

  model
    .command("list")
    .description("The model versions, newest first")
    .option("--json", "print exactly one JSON document on stdout: {models}, as GET /api/internal/models")
    .option("-d, --database-url <url>", "database (env DATABASE_URL)")
    .action(async (opts: { json?: boolean; databaseUrl?: string }) => {
      const models = await withDatabase(opts.databaseUrl, (database) => listModels(database.db));
      if (opts.json) return printJson({ models });
      if (models.length === 0) process.stdout.write("no models yet: relabel model train --data FILE\n");
      for (const m of models) {
        process.stdout.write(
          `${m.active ? "*" : " "} v${m.version}  ${m.created_at}  ${m.labels.length} labels  ${m.examples} examples  ` +
            `${(m.bytes / 1e6).toFixed(1)} MB  ${(m.train_ms / 1000).toFixed(1)} s${m.sources.file_name ? `  from ${m.sources.file_name}` : ""}\n`,
        );
      }
    });

  model
    .command("activate")
    .description("Make VERSION the model new analyses use")
    .argument("<version>", "a version from `relabel model list`")
    .option(
      "--json",
      "print exactly one JSON document on stdout: the model, as POST …/models/:version/activate",
    )
    .option("-d, --database-url <url>", "database (env DATABASE_URL)")
    .action(async (version: string, opts: { json?: boolean; databaseUrl?: string }) => {
      const activated = await withDatabase(opts.databaseUrl, (database) =>
        activateVersion(database, versionNumber(version)),
      );
      if (opts.json) return printJson(activated);
      process.stdout.write(
        `model version ${activated.version} is active. To re-label what exists: relabel reanalyze --dry-run first, then relabel reanalyze.\n`,
      );
    });

  program
    .command("eval")
    .description(
      "Score the active model on --data FILE, cross-validate on it (--folds), or score it against hand-set labels (--people)",
    )
    .option(
      "--data <file>",
      "labelled examples: CSV (text + label|category|intent) or JSON [{text, labels|intents}]",
    )
    .option(
      "--folds <k>",
      `cross-validate with k folds of FILE (2–${MAX_FOLDS}) instead of using the active model`,
    )
    .option("--people", "score the active model against the labels people set by hand")
    .option("--model <version>", "score this model version instead of the active one")
    .option("--json", "print exactly one JSON object on stdout")
    .option("-d, --database-url <url>", "database (env DATABASE_URL)")
    .action(
      async (opts: {
        data?: string;
        folds?: string;
        people?: boolean;
        model?: string;
        json?: boolean;
        databaseUrl?: string;
      }) => {
        if (Boolean(opts.people) === (opts.data !== undefined)) {
          throw new AppError("invalid_training_data", "Give either --data FILE or --people.");
        }
        const folds = opts.folds === undefined ? undefined : Number(opts.folds);
        if (folds !== undefined && (!Number.isInteger(folds) || folds < 2 || folds > MAX_FOLDS)) {
          throw new AppError(
            "invalid_training_data",
            `--folds must be a whole number from 2 to ${MAX_FOLDS}.`,
          );
        }
        if (folds !== undefined && opts.model !== undefined) {
          throw new AppError(
            "invalid_training_data",
            "--folds trains its own models; leave out --model, or --folds to score that version.",
          );
        }
        const version = opts.model === undefined ? undefined : versionNumber(opts.model);
        const examples = opts.data ? readExamples(opts.data) : [];
        const report = await withDatabase(opts.databaseUrl, (database) =>
          runEvaluation(
            database.db,
            opts.people
              ? { people: true, version }
              : folds !== undefined
                ? { examples, folds }
                : { examples, version },
          ),
        );
        process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : describe(report));
      },
    );
}

/** A version as typed on the command line; anything but a whole number is no version there is. */
function versionNumber(text: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > 2_147_483_647) {
    throw new AppError(
      "model_not_found",
      `'${text}' is not a model version number; \`relabel model list\` shows them.`,
    );
  }
  return Number(text);
}

function describe(r: EvaluationReport): string {
  const lines = [
    `${r.mode === "cross_validation" ? "cross-validated" : `model version ${r.model_version}`} on ${r.examples} examples` +
      (r.mode === "people" ? " labeled by hand" : ""),
    ...(r.accuracy === undefined ? [] : [`accuracy   ${pct(r.accuracy)}`]),
    `micro F1   ${pct(r.micro_f1)}`,
    `macro F1   ${pct(r.macro_f1)}`,
    "",
    "weakest labels (F1, precision, recall, support):",
    ...Object.entries(r.per_label)
      .sort((a, b) => a[1].f1 - b[1].f1)
      .slice(0, 10)
      .map(
        ([name, m]) =>
          `  ${name.padEnd(40)} ${pct(m.f1)}  ${pct(m.precision)}  ${pct(m.recall)}  ${m.support}`,
      ),
    "",
    "most frequent confusions (actual -> predicted):",
    ...r.confusions.slice(0, 10).map((c) => `  ${c.actual} -> ${c.predicted}: ${c.count}`),
  ];
  return `${lines.join("\n")}\n`;
}
