import type { Command } from "commander";
import { cancelJob, getJob, type Job } from "../reanalysis/jobs.js";
import { withDatabase } from "./open.js";
import { jsonOption, printJson, wholeNumber } from "./output.js";

/** One line on a job: where it stands. */
export function jobLine(job: Job): string {
  const verb = job.dry_run ? "would change" : "changed";
  return (
    `job ${job.id} ${job.status}${job.dry_run ? " (dry run)" : ""}: ${job.type} from ${job.from} until ${job.until}; ` +
    `${job.done} done, ${job.failed} failed, ${job.skipped} skipped of ${job.total}; ${job.items_changed} items ${verb}\n`
  );
}

/** The command that cancels a job, as the CLI tells a person who leaves one running. */
export const cancelCommandFor = (id: number) => `relabel job cancel ${id}`;

/** `relabel job show|cancel ID`: GET and DELETE /api/internal/labels/reanalysis/:id from a shell. */
export function jobCommands(program: Command): void {
  const job = program.command("job").description("Show or cancel a reanalysis job");
  const id = wholeNumber(1);

  jsonOption(
    job
      .command("show")
      .description("A job's progress, rate, ETA and changes per label")
      .argument("<id>", "job id (relabel status lists the latest)", id)
      .option("-d, --database-url <url>", "database (env DATABASE_URL)"),
  ).action(async (jobId: number, opts: { json?: boolean; databaseUrl?: string }) => {
    const found = await withDatabase(opts.databaseUrl, (database) => getJob(database.db, jobId));
    if (opts.json) return printJson(found);
    process.stdout.write(jobLine(found));
    for (const c of found.changes) process.stdout.write(`  ${c.label}: +${c.added} −${c.removed}\n`);
  });

  jsonOption(
    job
      .command("cancel")
      .description("Cancel a job: what it alone still needed is cancelled; labels already written stay")
      .argument("<id>", "job id", id)
      .option("-d, --database-url <url>", "database (env DATABASE_URL)"),
  ).action(async (jobId: number, opts: { json?: boolean; databaseUrl?: string }) => {
    const cancelled = await withDatabase(opts.databaseUrl, (database) => cancelJob(database, jobId));
    if (opts.json) return printJson(cancelled);
    process.stdout.write(jobLine(cancelled));
  });
}
