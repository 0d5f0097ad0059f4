#!/usr/bin/env node
import "./memory.js";
import { Command, CommanderError } from "commander";
import { ConfigError } from "../config.js";
import { AppError, errorBody } from "../errors.js";
import { importCommand } from "./import.js";
import { jobCommands } from "./jobs.js";
import { labelsCommand, statusCommand } from "./labels.js";
import { migrateCommand } from "./migrate.js";
import { modelCommands } from "./model.js";
import { UsageError } from "./output.js";
import { queueCommands } from "./queue-commands.js";
import { reanalyzeCommand } from "./reanalyze.js";
import { serveCommand } from "./serve.js";
import { taxonomyCommand } from "./taxonomy.js";
import { packageVersion } from "./version.js";
import { workerCommand } from "./worker.js";

const program = new Command()
  .name("relabel")
  .description("Label customer conversations and notes, and re-label them on demand")
  .version(packageVersion())
  .exitOverride();

serveCommand(program);
workerCommand(program);
migrateCommand(program);
importCommand(program);
queueCommands(program);
taxonomyCommand(program);
reanalyzeCommand(program);
jobCommands(program);
labelsCommand(program);
statusCommand(program);
modelCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Commander has said what was wrong (unknown option or command, missing argument, bad value):
  // a usage error, 2, as configuration errors; --help and --version end here too, with 0.
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  // Expected failures get one clear line (with --json, the API's error body); anything else is a bug worth its stack.
  if (err instanceof AppError && process.argv.includes("--json"))
    process.stderr.write(`${JSON.stringify(errorBody(err))}\n`);
  else if (err instanceof ConfigError || err instanceof AppError || err instanceof UsageError)
    process.stderr.write(`relabel: ${err.message}\n`);
  else if (typeof (err as NodeJS.ErrnoException).code === "string") {
    // System errors (a missing file, a refused connection) say all there is to say in their message.
    process.stderr.write(`relabel: ${(err as Error).message}\n`);
  } else process.stderr.write(`relabel: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(err instanceof ConfigError || err instanceof UsageError ? 2 : 1);
}
