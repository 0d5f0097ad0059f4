import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { createJob, getJob, type Job } from "../reanalysis/jobs.js";
import { parseJobRequest } from "../reanalysis/request.js";
import { tick } from "../runners/tick.js";
import { openRuntime } from "./open.js";
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
    .option("-d, --database-url <url>", "database (env DATABASE_URL)")
    .action(
      async (opts: {
        from?: string;
        until?: string;
        type?: string;
        dryRun?: boolean;
        wait?: boolean;
        databaseUrl?: string;
      }) => {
        const request = parseJobRequest({
          ...(opts.from !== undefined && { from: opts.from }),
          ...(opts.until !== undefined && { until: opts.until }),
          ...(opts.type !== undefined && { type: opts.type }),
          ...(opts.dryRun && { dry_run: "true" }),
        });
        const config = loadConfig(process.env, { DATABASE_URL: opts.databaseUrl });
        const runtime = await openRuntime(config, createLogger(config.logLevel));
        try {
          let job = await createJob(runtime.database, runtime, request);
          process.stderr.write(
            `job ${job.id}: ${job.type} from ${job.from} until ${job.until}${job.dry_run ? " (dry run)" : ""}\n`,
          );
          if (!opts.wait) {
            process.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
            return;
          }
          const progress = createProgress(`job ${job.id}`, 1, "items");
          while (job.status === "fanning_out" || job.status === "running") {
            // Drive the work ourselves; with workers running elsewhere this only shares it.
            const report = await tick(runtime);
            job = await getJob(runtime.database.db, job.id);
            progress.setTotal?.(Math.max(job.total, 1));
            const rate = job.rate_per_second === null ? "" : `${job.rate_per_second}/s`;
            const eta = job.eta_seconds === null ? "" : ` ETA ${job.eta_seconds}s`;
            progress.update(job.done + job.failed + job.skipped, `${rate}${eta} ${job.status}`);
            if (report.processed === 0) await sleep(POLL_MS);
          }
          progress.stop();
          process.stdout.write(summary(job));
          if (job.failed > 0) process.exitCode = 1;
        } finally {
          await runtime.close();
        }
      },
    );
}
