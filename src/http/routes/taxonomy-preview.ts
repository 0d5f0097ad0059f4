import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { AnalysisSetupCache } from "../../analysis/setup.js";
import { analysisThreads } from "../../analysis/threads.js";
import { AppError } from "../../errors.js";
import { PREVIEW_LIMITS, previewTaxonomy } from "../../taxonomy/preview.js";
import { previewBody, previewRange } from "../../taxonomy/preview-request.js";
import { parseTaxonomyText } from "../../taxonomy/text.js";
import { noQuery } from "../../validation.js";
import type { AppContext } from "../context.js";

/** Previews computing at once; more are refused (503) rather than queued, each is bounded in time anyway. */
const MAX_RUNNING = 2;

const previewOutput = z.object({
  type: z.enum(["conversations", "notes", "both"]),
  from: z.string(),
  until: z.string(),
  current_version: z.number().describe("the taxonomy version the proposal is compared with"),
  model_version: z.number().nullable().describe("the active model, when a label of either taxonomy uses it"),
  items_in_range: z.number().describe("items a reanalysis of the range would analyze"),
  items_examined: z.number(),
  complete: z.boolean().describe("false: only the newest items_examined were analyzed, see capped_by"),
  capped_by: z
    .enum(["items", "text", "time"])
    .nullable()
    .describe("which limit stopped the preview (null: it saw the whole range)"),
  limits: z.object({ items: z.number(), text_characters: z.number(), time_ms: z.number() }),
  items_changed: z.number().describe("examined items whose labels would change"),
  changes: z
    .array(z.object({ label: z.string(), gained: z.number(), lost: z.number() }))
    .describe("per label, the examined items that would gain it and lose it, by name"),
  samples: z
    .array(
      z.object({
        type: z.enum(["conversation", "note"]),
        id: z.string(),
        note_version: z.number().nullable(),
        excerpt: z.string().describe("a conversation's subject (else its first message), a note's text; cut"),
        before: z.array(z.string()).describe("its labels under the current taxonomy (people's included)"),
        after: z.array(z.string()).describe("its labels under the proposed taxonomy"),
      }),
    )
    .describe(`up to ${PREVIEW_LIMITS.samples} changed items, newest first`),
  elapsed_ms: z.number(),
});

export function taxonomyPreviewRoutes(app: FastifyInstance, { database }: AppContext): void {
  const setups = new AnalysisSetupCache();
  let running = 0;
  app.withTypeProvider<ZodTypeProvider>().post(
    "/api/internal/taxonomy/preview",
    {
      schema: {
        tags: ["taxonomy"],
        summary: "Dry run: what a proposed taxonomy would change in a range's labels (nothing is written)",
        description:
          "Body: {taxonomy, from?, until?, type?}: `taxonomy` as PUT /api/taxonomy takes it, or a string holding it as YAML " +
          "or JSON text (a syntax error is an `invalid_taxonomy` issue with its `line`); the range read as the reanalysis request reads it (default: the last 30 days, " +
          "both kinds). Analyzes the newest items of the range (at most " +
          `${PREVIEW_LIMITS.items}, ${PREVIEW_LIMITS.text / 1_000_000} M characters, ${PREVIEW_LIMITS.timeMs / 1000} s) ` +
          "with the proposed and with the current taxonomy (rules, and the active model where a label uses it), " +
          "as a re-label would apply them: labels people added or removed stay. An invalid taxonomy is the 400 " +
          "`invalid_taxonomy` PUT /api/taxonomy answers, each problem naming its label and field.",
        querystring: noQuery,
        body: previewBody,
        response: { 200: previewOutput },
      },
    },
    async (request, reply) => {
      const { taxonomy: given, ...range } = request.body;
      const parsed = previewRange(range);
      // A string is the taxonomy as text (YAML or JSON), as an editor holds it.
      const taxonomy = typeof given === "string" ? parseTaxonomyText(given) : given;
      if (running >= MAX_RUNNING) throw new AppError("preview_unavailable");
      running++;
      // A client that gives up stops the preview at its next chunk.
      const gone = new AbortController();
      reply.raw.once("close", () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      try {
        return await previewTaxonomy(
          { reads: database.db, setups, threads: analysisThreads() },
          { taxonomy, range: parsed },
          { signal: gone.signal },
        );
      } finally {
        running--;
      }
    },
  );
}
