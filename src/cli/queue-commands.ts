import type { Command } from "commander";
import secureJson from "secure-json-parse";
import { loadConfig } from "../config.js";
import { transaction } from "../db/database.js";
import { AppError } from "../errors.js";
import { createLogger } from "../logger.js";
import { publish } from "../pubsub/publish.js";
import { drain } from "../runners/drain.js";
import type { Runtime } from "../runners/runtime.js";
import { TICK_DEFAULTS, tick } from "../runners/tick.js";
import { INTERRUPTED, onInterrupt } from "./interrupt.js";
import { openRuntime } from "./open.js";
import { jsonOption, printJson, wholeNumber } from "./output.js";
import { createProgress } from "./progress.js";

/** Commands on the queue: they open the database directly, no server needed. */

async function withRuntime<T>(
  databaseUrl: string | undefined,
  fn: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const config = loadConfig(process.env, { DATABASE_URL: databaseUrl });
  const runtime = await openRuntime(config, createLogger(config.logLevel));
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

function parseObject(text: string, option: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = secureJson.parse(text, undefined, { protoAction: "error", constructorAction: "error" });
  } catch (err) {
    throw new AppError("invalid_json", `${option}: not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new AppError("validation_failed", `${option}: must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

const int = wholeNumber(1);
const print = printJson;

export function queueCommands(program: Command): void {
  // publish, tick and drain print JSON in any case (as the API answers); --json is accepted for uniformity.
  jsonOption(
    program
      .command("publish")
      .description("Publish a message, as POST /api/internal/pubsub/publish does")
      .requiredOption("-t, --topic <topic>", "topic, e.g. conversation_note_analysis")
      .requiredOption("-k, --key <json>", 'key object, e.g. \'{"conversation_fs_id":"c-1"}\'')
      .option("--data <json>", "data object", "{}")
      .option("-d, --database-url <url>", "database (env DATABASE_URL)"),
  ).action(async (opts: { topic: string; key: string; data: string; databaseUrl?: string }) => {
    const key = parseObject(opts.key, "--key");
    const data = parseObject(opts.data, "--data");
    await withRuntime(opts.databaseUrl, async (runtime) => {
      print(
        await transaction(runtime.database, (trx) => publish(trx, runtime, { topic: opts.topic, key, data })),
      );
    });
  });

  jsonOption(
    program
      .command("tick")
      .description("Run one bounded pass of every runner, as POST /api/tick/runners does")
      .option("--max-messages <n>", `messages at most (default ${TICK_DEFAULTS.maxMessages})`, int)
      .option("--max-ms <n>", `time budget in ms (default ${TICK_DEFAULTS.maxMs})`, int)
      .option("-d, --database-url <url>", "database (env DATABASE_URL)"),
  ).action(async (opts: { maxMessages?: number; maxMs?: number; databaseUrl?: string }) => {
    await withRuntime(opts.databaseUrl, async (runtime) => {
      print(await tick(runtime, { maxMessages: opts.maxMessages, maxMs: opts.maxMs }));
    });
  });

  jsonOption(
    program
      .command("drain")
      .description(
        "Tick until nothing remains (waiting out backoffs), with progress; Ctrl-C hands back what it holds",
      )
      .option("-d, --database-url <url>", "database (env DATABASE_URL)"),
  ).action(async (opts: { databaseUrl?: string }) => {
    await withRuntime(opts.databaseUrl, async (runtime) => {
      let progress: ReturnType<typeof createProgress> | undefined;
      let remaining = 0;
      const interrupt = onInterrupt();
      try {
        const done = await drain(
          runtime,
          (report, processed, upcoming) => {
            remaining = report.remaining;
            // upcoming: what running fan-outs will still publish, so the total is known from the first tick.
            progress ??= createProgress("drain", processed + report.remaining + upcoming, "messages");
            progress.setTotal?.(processed + report.remaining + upcoming);
            progress.update(processed, `${report.remaining} remaining`);
          },
          interrupt.signal,
        );
        progress?.stop();
        const interrupted = interrupt.signal.aborted && remaining > 0;
        // What a person reads first on Ctrl-C: what was done, and that the rest waits in the queue.
        if (interrupted) {
          process.stderr.write(
            `interrupted: ${done} messages processed; ${remaining} left in the queue (any batch under way was handed back): ` +
              "relabel drain, a tick or a running worker takes them\n",
          );
          process.exitCode = INTERRUPTED;
        }
        print({ processed: done, remaining, interrupted });
      } finally {
        interrupt.dispose();
        progress?.stop();
      }
    });
  });
}
