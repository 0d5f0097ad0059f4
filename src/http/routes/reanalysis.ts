import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { cancelJob, createJob, getJob, jobItems, jobUrl, listJobs } from "../../reanalysis/jobs.js";
import { parseJobRequest } from "../../reanalysis/request.js";
import { idCursor, intParam, noBody, noQuery } from "../../validation.js";
import type { AppContext } from "../context.js";

const tags = ["reanalysis"];
const idParams = z.strictObject({ id: intParam(1, Number.MAX_SAFE_INTEGER) });

export const jobOutput = z
  .object({
    id: z.number(),
    status: z.enum(["fanning_out", "running", "done", "cancelled"]),
    type: z.enum(["conversations", "notes", "both"]),
    from: z.string(),
    until: z.string(),
    dry_run: z.boolean(),
    total: z
      .number()
      .describe(
        "Items in range (a dry run: in its sample), counted when the job is created; exact once fanned out",
      ),
    enqueued: z.number(),
    done: z.number(),
    failed: z.number(),
    skipped: z.number(),
    items_changed: z.number(),
    changes: z.array(z.object({ label: z.string(), added: z.number(), removed: z.number() })),
    rate_per_second: z.number().nullable(),
    eta_seconds: z
      .number()
      .nullable()
      .describe("Seconds left at the rate so far: from the first item finished; 0 when done"),
    sample_limit: z.number().nullable(),
    created_at: z.string(),
    fanned_out_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    url: z.string(),
  })
  // A named component of the OpenAPI document (`#/components/schemas/Job`).
  .meta({ id: "Job" });

// Parsed by parseJobRequest, which names the parameter of every problem (repeats and typos included).
const jobQuery = z
  .looseObject({
    from: z.unknown().optional().describe("ISO-8601 or epoch ms; default 30 days ago"),
    until: z
      .unknown()
      .optional()
      .describe("ISO-8601 (a date alone: the end of that day) or epoch ms; default now"),
    type: z
      .unknown()
      .optional()
      .describe(
        "conversations, notes or both (the default); the singular conversation, note is accepted too",
      ),
    dry_run: z
      .unknown()
      .optional()
      .describe("true: analyze (a sample of) the range and report what would change"),
  })
  .describe("from, until, type, dry_run");

/** `POST /api/internal/labels/reanalysis`, exactly as the runbook calls it (no body; registered in the runbook scope). */
export function reanalysisStartRoute(app: FastifyInstance, context: AppContext): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    "/api/internal/labels/reanalysis",
    {
      schema: {
        tags,
        summary: "Re-label every conversation and/or note whose last activity is in [from, until]",
        description:
          "Conversations by updated_at, notes by their latest version's created_at, bounds inclusive. Returns the job; " +
          "runners (or ticks) fan it out and process it. Poll its url, or tick until `remaining` is 0.",
        querystring: jobQuery,
        // The runbook's requests send their JSON as text/plain (fetch with a string body).
        consumes: ["application/json", "text/plain"],
        body: noBody("give from, until, type and dry_run in the query string"),
        response: { 202: jobOutput },
      },
    },
    async (request, reply) => {
      const job = await createJob(context.database, context, parseJobRequest(request.query));
      return reply.code(202).header("location", jobUrl(job.id)).send(job);
    },
  );
}

export function reanalysisRoutes(app: FastifyInstance, context: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/api/internal/labels/reanalysis",
    {
      schema: {
        tags,
        summary: "Reanalysis jobs, newest first",
        querystring: z.strictObject({
          cursor: idCursor.optional(),
          limit: intParam(1, 100).default(20),
        }),
        response: { 200: z.object({ items: z.array(jobOutput), next_cursor: z.string().nullable() }) },
      },
    },
    async (request) =>
      listJobs(context.database.db, {
        beforeId: request.query.cursor === undefined ? undefined : Number(request.query.cursor),
        limit: request.query.limit,
      }),
  );
  r.get(
    "/api/internal/labels/reanalysis/:id",
    {
      schema: {
        tags,
        summary: "A job's progress, rate, ETA and changes per label",
        params: idParams,
        querystring: noQuery,
        response: { 200: jobOutput },
      },
    },
    async (request) => getJob(context.database.db, request.params.id),
  );
  r.get(
    "/api/internal/labels/reanalysis/:id/items",
    {
      schema: {
        tags,
        summary: "The items a job changed, with the labels its run added and removed, in run order",
        description:
          "Only items whose labels changed; keyset-paginated by run. A dry run changes nothing: its list is empty.",
        params: idParams,
        querystring: z.strictObject({
          cursor: idCursor.optional(),
          limit: intParam(1, 1000).default(100),
        }),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                run_id: z.number(),
                type: z.enum(["conversation", "note"]),
                id: z.string(),
                note_version: z.number().nullable(),
                added: z.array(z.string()),
                removed: z.array(z.string()),
                analyzed_at: z.string(),
              }),
            ),
            next_cursor: z.string().nullable(),
          }),
        },
      },
    },
    async (request) =>
      jobItems(context.database.db, request.params.id, {
        afterRunId: request.query.cursor === undefined ? undefined : Number(request.query.cursor),
        limit: request.query.limit,
      }),
  );
  r.delete(
    "/api/internal/labels/reanalysis/:id",
    {
      schema: {
        tags,
        summary: "Cancel a job (what it alone still needed is cancelled)",
        params: idParams,
        querystring: noQuery,
        response: { 200: jobOutput },
      },
    },
    async (request) => cancelJob(context.database, request.params.id),
  );
}
