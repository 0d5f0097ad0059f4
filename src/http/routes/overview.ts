import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { AppError } from "../../errors.js";
import { itemTypeOf, itemTypeQuery } from "../../items/range.js";
import { labelDistribution, totals } from "../../overview/counts.js";
import { queueHealth } from "../../overview/queues.js";
import { labelTrend, MAX_BUCKETS, MAX_TREND_LABELS } from "../../overview/trend.js";
import { activeJobs } from "../../reanalysis/jobs.js";
import { DEFAULT_RANGE_MS } from "../../reanalysis/request.js";
import { parseTimestamp } from "../../time.js";
import { nameSchema, noQuery } from "../../validation.js";
import type { AppContext } from "../context.js";
import { topicOutput } from "./pubsub.js";
import { jobOutput } from "./reanalysis.js";

const itemTotals = z.object({
  items: z.number(),
  labeled: z.number().describe("items carrying at least one label"),
  unlabeled: z.number(),
});
const bySource = z.object({
  total: z.number(),
  rule: z.number(),
  model: z.number(),
  llm: z.number(),
  manual: z.number(),
});
const summaryOutput = z.object({
  generated_at: z.string(),
  totals: z.object({ conversations: itemTotals, notes: itemTotals, all: itemTotals }),
  labels: z
    .array(
      z.object({
        name: z.string(),
        items: z.number().describe("conversations and notes carrying it"),
        conversations: bySource,
        notes: bySource,
        retired: z.boolean().describe("items carry it, but the current taxonomy no longer has it"),
      }),
    )
    .describe("every label some item carries, most items first"),
});
const labelList = z
  .string()
  .describe(`comma-separated label names, 1 to ${MAX_TREND_LABELS}`)
  .transform((value) => [...new Set(value.split(","))])
  .pipe(
    z
      .array(nameSchema(100))
      .min(1, "name at least one label")
      .max(MAX_TREND_LABELS, `at most ${MAX_TREND_LABELS} labels`),
  );

const trendQuery = z.strictObject({
  labels: labelList,
  from: z.string().optional().describe("ISO-8601 or epoch ms, inclusive; default 30 days before until"),
  until: z
    .string()
    .optional()
    .describe("ISO-8601 (a date alone: the end of that day) or epoch ms, inclusive; default now"),
  bucket: z
    .enum(["hour", "day", "week"])
    .default("day")
    .describe("UTC hours, days, or ISO weeks (from Monday 00:00 UTC)"),
  type: itemTypeQuery,
});

const trendOutput = z.object({
  from: z.string(),
  until: z.string(),
  bucket: z.enum(["hour", "day", "week"]),
  buckets: z.array(z.string()).describe("each bucket's start (UTC), oldest first"),
  series: z.array(
    z.object({
      label: z.string(),
      counts: z.array(z.number()).describe("items per bucket, in the order of buckets"),
      total: z.number(),
    }),
  ),
});

/**
 * The Overview: `/api/overview` (any token: items and labels) and
 * `/api/internal/overview` (admin: the same, plus the queue and the running
 * jobs). Two routes rather than one whose answer depends on the caller, so a
 * route's scope stays a matter of its path (auth.ts), as everywhere else.
 */
export function overviewRoutes(app: FastifyInstance, context: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { database } = context;
  const summary = async () => {
    const [counted, labels] = await Promise.all([totals(database.db), labelDistribution(database.db)]);
    return { generated_at: new Date().toISOString(), totals: counted, labels };
  };

  r.get(
    "/api/overview",
    {
      schema: {
        tags: ["overview"],
        summary: "Totals (items, labeled, unlabeled per type) and each label's items per type and source",
        description:
          "Exact counts. The queue and the running jobs are in GET /api/internal/overview (admin).",
        querystring: noQuery,
        response: { 200: summaryOutput },
      },
    },
    summary,
  );

  r.get(
    "/api/internal/overview",
    {
      schema: {
        tags: ["overview"],
        summary: "Everything the Overview shows: GET /api/overview, plus queue health and running jobs",
        querystring: noQuery,
        response: {
          200: summaryOutput.extend({
            queues: z.array(topicOutput).describe("as GET /api/internal/pubsub/topics"),
            jobs: z.array(jobOutput).describe("reanalysis jobs fanning out or running, oldest first"),
          }),
        },
      },
    },
    async () => {
      const [base, queues, jobs] = await Promise.all([
        summary(),
        queueHealth(context),
        activeJobs(database.db),
      ]);
      return { ...base, queues, jobs };
    },
  );

  r.get(
    "/api/labels/trend",
    {
      schema: {
        tags: ["labels"],
        summary: "Per label, the items carrying it whose last activity falls in each bucket of a range",
        description:
          "Last activity is a conversation's updated_at, a note's latest version's created_at. Buckets are UTC; the " +
          `first and last hold only the part inside [from, until]. More than ${MAX_BUCKETS} buckets is a 400.`,
        querystring: trendQuery,
        response: { 200: trendOutput },
      },
    },
    async (request) => {
      const q = request.query;
      const now = Date.now();
      const until = q.until === undefined ? now : parseTimestamp(q.until, "until", { endOfDay: true });
      const from = q.from === undefined ? until - DEFAULT_RANGE_MS : parseTimestamp(q.from, "from");
      if (from > until) {
        throw new AppError(
          "validation_failed",
          `from: ${new Date(from).toISOString()} is after until (${new Date(until).toISOString()})`,
          { parameter: "from" },
        );
      }
      return labelTrend(database.db, {
        labels: q.labels,
        from,
        until,
        bucket: q.bucket,
        type: itemTypeOf(q.type),
      });
    },
  );
}
