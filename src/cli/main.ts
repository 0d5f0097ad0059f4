#!/usr/bin/env node
import "./memory.js";
import { Command, CommanderError } from "commander";
import { ConfigError } from "../config.js";
import { AppError } from "../errors.js";
import { importCommand } from "./import.js";
import { labelsCommand, statusCommand } from "./labels.js";
import { migrateCommand } from "./migrate.js";
import { modelCommands } from "./model.js";
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
labelsCommand(program);
statusCommand(program);
modelCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  // Expected failures get one clear line; anything else is a bug worth its stack.
  if (err instanceof ConfigError || err instanceof AppError)
    process.stderr.write(`relabel: ${err.message}\n`);
  else if (typeof (err as NodeJS.ErrnoException).code === "string") {
    // System errors (a missing file, a refused connection) say all there is to say in their message.
    process.stderr.write(`relabel: ${(err as Error).message}\n`);
  } else process.stderr.write(`relabel: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
}
