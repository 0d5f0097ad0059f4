import type { Command } from "commander";
import { AppError } from "../errors.js";
import type { ItemType } from "../labels/assignments.js";
import { labelHistory } from "../labels/history.js";
import { labelItems, labelStats } from "../labels/queries.js";
import { backlog } from "../pubsub/stats.js";
import { listJobs } from "../reanalysis/jobs.js";
import { defaultTopics } from "../runners/topics.js";
import { withDatabase } from "./open.js";

function table(rows: (string | number)[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length))) ?? [];
  return `${rows
    .map((r) =>
      r
        .map((c, i) => String(c).padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}

function itemType(value: string | undefined): ItemType | undefined {
  if (value === undefined) return undefined;
  if (value === "conversation" || value === "note") return value;
  throw new AppError("validation_failed", `--type: '${value}' is not conversation or note`);
}

export function labelsCommand(program: Command): void {
  const labels = program
    .command("labels")
    .description("Query labels: counts, items by label, an item's history");
  const db = (cmd: Command) => cmd.option("-d, --database-url <url>", "database (env DATABASE_URL)");

  db(labels.command("stats").description("How many conversations and notes carry each label")).action(
    async (opts: { databaseUrl?: string }) =>
      withDatabase(opts.databaseUrl, async (database) => {
        const stats = await labelStats(database.db);
        process.stdout.write(
          table([
            ["label", "conversations", "notes", "manual"],
            ...stats.map((s) => [s.name, s.conversations, s.notes, s.manual]),
          ]),
        );
      }),
  );

  db(
    labels
      .command("items")
      .description("Items carrying a label, oldest activity first")
      .argument("<name>", "label, e.g. billing/refund")
      .option("--type <type>", "conversation or note")
      .option("--limit <n>", "at most this many", "50"),
  ).action(async (name: string, opts: { type?: string; limit: string; databaseUrl?: string }) =>
    withDatabase(opts.databaseUrl, async (database) => {
      const page = await labelItems(database.db, name, {
        type: itemType(opts.type),
        limit: Math.max(1, Number(opts.limit) || 50),
      });
      process.stdout.write(
        table([
          ["type", "id", "updated_at", "source"],
          ...page.items.map((i) => [i.type, i.id, i.updated_at, i.source]),
        ]),
      );
    }),
  );

  db(
    labels
      .command("history")
      .description("What analysis runs and people changed on an item, newest first")
      .argument("<type>", "conversation or note")
      .argument("<id>", "fs_id or note_id"),
  ).action(async (type: string, id: string, opts: { databaseUrl?: string }) =>
    withDatabase(opts.databaseUrl, async (database) => {
      const entries = await labelHistory(database.db, itemType(type) as ItemType, id, 100);
      process.stdout.write(
        table([
          ["at", "kind", "added", "removed", "job"],
          ...entries.map((e) => [
            e.at,
            e.action ? `manual ${e.action}` : e.kind,
            e.added.join(",") || "-",
            e.removed.join(",") || "-",
            e.job_id ?? "-",
          ]),
        ]),
      );
    }),
  );
}

export function statusCommand(program: Command): void {
  program
    .command("status")
    .description("Queues per topic and the latest reanalysis jobs")
    .option("-d, --database-url <url>", "database (env DATABASE_URL)")
    .action(async (opts: { databaseUrl?: string }) =>
      withDatabase(opts.databaseUrl, async (database) => {
        const topics = defaultTopics().names();
        const queues = await backlog(database.db, topics);
        process.stdout.write(
          table([
            ["topic", "pending", "running", "dead"],
            ...topics.map((t) => [
              t,
              queues.get(t)?.pending ?? 0,
              queues.get(t)?.running ?? 0,
              queues.get(t)?.failed ?? 0,
            ]),
          ]),
        );
        const jobs = await listJobs(database.db, { limit: 10 });
        if (jobs.items.length === 0) return;
        process.stdout.write(
          `\n${table([
            ["job", "status", "type", "done/total", "failed", "changed", "rate/s", "eta s"],
            ...jobs.items.map((j) => [
              j.id,
              j.status + (j.dry_run ? " (dry run)" : ""),
              j.type,
              `${j.done}/${j.total}`,
              j.failed,
              j.items_changed,
              j.rate_per_second ?? "-",
              j.eta_seconds ?? "-",
            ]),
          ])}`,
        );
      }),
    );
}
