import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { AppError } from "../errors.js";
import { createLogger } from "../logger.js";
import { createJob, getJob, type Job } from "../reanalysis/jobs.js";
import { parseJobRequest } from "../reanalysis/request.js";
import { tick } from "../runners/tick.js";
import { INTERRUPTED, onInterrupt } from "./interrupt.js";
import { cancelCommandFor } from "./jobs.js";
import { openRuntime } from "./open.js";
import { printJson, UsageError } from "./output.js";
import { createProgress } from "./progress.js";

const POLL_MS = 500;

function summary(job: Job): string {
  const changes = job.changes.map((c) => `  ${c.label}: +${c.added} −${c.removed}`).join("\n");
  const verb = job.dry_run ? "would change" : "changed";
  return (
    `job ${job.id} ${job.status}: ${job.done} done, ${job.failed} failed, ${job.skipped} skipped of ${job.total}; ` +
    `${job.items_changed} items ${verb}${changes ? `\n${changes}` : ""}\n`
  );
}

/** A bad option value (--from, --until, --type) is a usage error: exit 2. */
function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof AppError && (err.code === "validation_failed" || err.code === "invalid_timestamp"))
      throw new UsageError(err.message);
    throw err;
  }
}

export function reanalyzeCommand(program: Command): void {
  program
    .command("reanalyze")
    .description(
      "Re-label every conversation and/or note active in a time range (as the runbook's reanalysis request)",
    )
    .option("--from <time>", "ISO-8601 or epoch ms (default: 30 days ago)")
    .option("--until <time>", "ISO-8601 (a date alone: the end of that day) or epoch ms (default: now)")
    .option("--type <type>", "conversations or notes (default: both)")
    .option("--dry-run", "report what would change; write no labels")
    .option("--wait", "show progress until the job is done; ticks the runners itself when no worker does")
    .option("--json", "print exactly one JSON document on stdout: the job, as the API answers")
    .option("-d, --database-url <url>", "database (env DATABASE_URL)")
    .action(
      async (opts: {
        from?: string;
        until?: string;
        type?: string;
        dryRun?: boolean;
        wait?: boolean;
        json?: boolean;
        databaseUrl?: string;
      }) => {
        const request = usage(() =>
          parseJobRequest({
            ...(opts.from !== undefined && { from: opts.from }),
            ...(opts.until !== undefined && { until: opts.until }),
            ...(opts.type !== undefined && { type: opts.type }),
            ...(opts.dryRun && { dry_run: "true" }),
          }),
        );
        const config = loadConfig(process.env, { DATABASE_URL: opts.databaseUrl });
        const runtime = await openRuntime(config, createLogger(config.logLevel));
        try {
          let job = await createJob(runtime.database, runtime, request);
          process.stderr.write(
            `job ${job.id}: ${job.type} from ${job.from} until ${job.until}${job.dry_run ? " (dry run)" : ""}\n`,
          );
          if (!opts.wait) {
            // As POST /api/internal/labels/reanalysis answers (with or without --json).
            printJson(job);
            return;
          }
          // The job counted its items when created: the bar has its size from the start.
          const progress = createProgress(`job ${job.id}`, Math.max(job.total, 1), "items");
          // Ctrl-C: the tick under way claims nothing more and hands back the batch it holds.
          const { signal, dispose } = onInterrupt();
          while ((job.status === "fanning_out" || job.status === "running") && !signal.aborted) {
            // Drive the work ourselves; with workers running elsewhere this only shares it.
            const report = await tick(runtime, { signal });
            job = await getJob(runtime.database.db, job.id);
            progress.setTotal?.(Math.max(job.total, 1));
            const rate = job.rate_per_second === null ? "" : `${job.rate_per_second}/s`;
            const eta = job.eta_seconds === null ? "" : ` ETA ${job.eta_seconds}s`;
            progress.update(job.done + job.failed + job.skipped, `${rate}${eta} ${job.status}`);
            if (report.processed === 0) await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
          }
          dispose();
          progress.stop();
          // As GET /api/internal/labels/reanalysis/:id answers.
          if (opts.json) printJson(job);
          else process.stdout.write(summary(job));
          if (job.status === "fanning_out" || job.status === "running") {
            process.stderr.write(
              `interrupted: job ${job.id} is still ${job.status}, ${job.done + job.failed + job.skipped} of ${job.total} items done; ` +
                "the messages this process held are pending again. Workers (relabel serve, relabel worker) " +
                `or relabel drain finish it; to cancel it: ${cancelCommandFor(job.id)}\n`,
            );
            process.exitCode = INTERRUPTED;
          } else if (job.failed > 0) process.exitCode = 1;
        } finally {
          await runtime.close();
        }
      },
    );
}
