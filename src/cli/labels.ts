import type { Command } from "commander";
import { ITEM_TYPES } from "../items/range.js";
import type { ItemType } from "../labels/assignments.js";
import { labelHistory } from "../labels/history.js";
import { assertItem } from "../labels/manual.js";
import { labelItems, labelStats } from "../labels/queries.js";
import { queueHealth } from "../overview/queues.js";
import { listJobs } from "../reanalysis/jobs.js";
import { defaultTopics } from "../runners/topics.js";
import { withDatabase } from "./open.js";
import { jsonOption, printJson, UsageError, wholeNumber } from "./output.js";

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

/** A `type` as the API spells it: conversations or notes (the singular as an alias); else a usage error. */
function itemType(value: string | undefined, what = "--type"): ItemType | undefined {
  if (value === undefined) return undefined;
  if (Object.hasOwn(ITEM_TYPES, value)) return ITEM_TYPES[value as keyof typeof ITEM_TYPES];
  throw new UsageError(`${what}: '${value}' is not conversations or notes`);
}

export function labelsCommand(program: Command): void {
  const labels = program
    .command("labels")
    .description("Query labels: counts, items by label, an item's history");
  // With --json, each prints what the API answers for the same question (from the same functions).
  const db = (cmd: Command) =>
    jsonOption(cmd.option("-d, --database-url <url>", "database (env DATABASE_URL)"));

  db(labels.command("stats").description("How many conversations and notes carry each label")).action(
    async (opts: { json?: boolean; databaseUrl?: string }) =>
      withDatabase(opts.databaseUrl, async (database) => {
        const stats = await labelStats(database.db);
        if (opts.json) return printJson({ labels: stats }); // GET /api/labels/stats
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
      .option("--type <type>", "conversations or notes (default: both)")
      .option("--limit <n>", "at most this many (1–1000)", wholeNumber(1, 1000), 50),
  ).action(
    async (name: string, opts: { type?: string; limit: number; json?: boolean; databaseUrl?: string }) =>
      withDatabase(opts.databaseUrl, async (database) => {
        const type = itemType(opts.type);
        const page = await labelItems(database.db, name, { type, limit: opts.limit });
        if (opts.json) return printJson(page); // GET /api/labels/:name/items?limit=N (one page)
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
      .argument("<type>", "conversations or notes")
      .argument("<id>", "fs_id or note_id")
      .option("--limit <n>", "at most this many entries (1–1000)", wholeNumber(1, 1000), 100),
  ).action(async (type: string, id: string, opts: { limit: number; json?: boolean; databaseUrl?: string }) =>
    withDatabase(opts.databaseUrl, async (database) => {
      const kind = itemType(type, "type") as ItemType;
      // As the API: an item that does not exist has no history, and is an error.
      await assertItem(database.db, kind, id);
      const entries = await labelHistory(database.db, kind, id, opts.limit);
      if (opts.json) return printJson({ items: entries }); // GET /api/{conversations|notes}/:id/labels/history
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
    .description(
      "Queues per topic (claimed messages whose lease ran out as expired) and the latest reanalysis jobs",
    )
    .option("--json", "print exactly one JSON document on stdout: {topics, jobs}, as the API answers")
    .option("-d, --database-url <url>", "database (env DATABASE_URL)")
    .action(async (opts: { json?: boolean; databaseUrl?: string }) =>
      withDatabase(opts.databaseUrl, async (database) => {
        const [queues, jobs] = await Promise.all([
          queueHealth({ database, topics: defaultTopics() }),
          listJobs(database.db, { limit: 10 }),
        ]);
        // topics: GET /api/internal/pubsub/topics; jobs: GET /api/internal/labels/reanalysis?limit=10.
        if (opts.json) return printJson({ topics: queues, jobs });
        process.stdout.write(
          table([
            ["topic", "pending", "running", "expired", "dead"],
            ...queues.map((q) => [q.topic, q.pending, q.running, q.expired, q.failed]),
          ]),
        );
        if (queues.some((q) => q.expired > 0)) {
          process.stdout.write(
            "expired: claimed by a process that died or was stopped; pending again at the next tick, drain or worker pass\n",
          );
        }
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
