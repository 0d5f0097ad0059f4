import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { EXPORT_FORMATS, exportText } from "../../items/export.js";
import {
  decodeItemCursor,
  itemFilterSchema,
  itemsPageOutput,
  itemsQuerySchema,
  listItems,
  toItemFilter,
} from "../../items/list.js";
import type { AppContext } from "../context.js";

const tags = ["items"];

const CONTENT_TYPES = { ndjson: "application/x-ndjson; charset=utf-8", csv: "text/csv; charset=utf-8" };

/** The Items list (conversations and notes together) and its export. Readable with an ingest token. */
export function itemRoutes(app: FastifyInstance, context: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { database } = context;

  r.get(
    "/api/items",
    {
      schema: {
        tags,
        summary:
          "Conversations and notes in one list, newest activity first, filtered by labels, source, type, time range and full-text search; keyset-paginated",
        querystring: itemsQuerySchema,
        response: { 200: itemsPageOutput },
      },
    },
    async (request) => {
      const filter = await toItemFilter(database.db, request.query);
      const after = request.query.cursor === undefined ? undefined : decodeItemCursor(request.query.cursor);
      return listItems(database, filter, after, request.query.limit);
    },
  );

  r.get(
    "/api/items/export",
    {
      schema: {
        tags,
        summary:
          "Every item the filters match, with its content and labels, streamed as NDJSON or CSV (an attachment), in the list's order",
        querystring: itemFilterSchema.extend({
          format: z
            .enum(EXPORT_FORMATS)
            .default("ndjson")
            .describe(
              "ndjson: one JSON object per line {type, id, updated_at, subject and messages | version and text, labels}; csv: type,id,updated_at,labels (names joined by |),text",
            ),
        }),
        produces: ["application/x-ndjson", "text/csv"],
        response: {
          200: z.string().describe("the items, one per line (NDJSON) or row (CSV, RFC 4180, with a header)"),
        },
      },
    },
    async (request, reply) => {
      const { format, ...query } = request.query;
      // Everything that can be refused is refused here, before the first byte is sent.
      const filter = await toItemFilter(database.db, query);
      const stop = new AbortController();
      reply.raw.on("close", () => stop.abort());
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      return (
        reply
          .type(CONTENT_TYPES[format])
          .header("content-disposition", `attachment; filename="relabel-items-${stamp}.${format}"`)
          // A stream is piped as it is, never serialized: the schema above only documents the body.
          .send(Readable.from(exportText(database, filter, format, stop.signal)) as unknown as string)
      );
    },
  );
}
