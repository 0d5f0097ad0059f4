import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { enqueueAnalysis } from "../../analysis/enqueue.js";
import { transaction } from "../../db/database.js";
import {
  appendNoteVersion,
  deleteNote,
  getNote,
  getNoteVersion,
  listNotes,
  noteOutput,
  noteVersionInput,
  noteVersionOutput,
} from "../../items/notes.js";
import { listQuerySchema, toListRange } from "../../items/range.js";
import { idSchema, intParam, noQuery } from "../../validation.js";
import type { AppContext } from "../context.js";
import { itemBody } from "../item-body.js";

const params = z.strictObject({ note_id: idSchema });
const versionParams = params.extend({ version: intParam(1, 2_147_483_647) });
const tags = ["notes"];
/** Named components of the OpenAPI document (`#/components/schemas/Note`, `NoteVersion`). */
const note = noteOutput.meta({ id: "Note" });
const noteVersion = noteVersionOutput.meta({ id: "NoteVersion" });

export function noteRoutes(app: FastifyInstance, context: AppContext): void {
  const { database } = context;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    "/api/notes/:note_id/versions",
    {
      ...itemBody,
      schema: {
        tags,
        summary: "Append a new immutable version to a note (creates the note at version 1)",
        params,
        querystring: noQuery,
        body: noteVersionInput,
        response: { 201: noteVersion },
      },
    },
    async (request, reply) => {
      const version = await transaction(database, async (trx) => {
        const appended = await appendNoteVersion(trx, request.params.note_id, request.body);
        await enqueueAnalysis(trx, context, { note_id: appended.note_id, note_version: appended.version });
        return appended;
      });
      return reply.code(201).send(version);
    },
  );

  r.get(
    "/api/notes/:note_id",
    {
      schema: {
        tags,
        summary: "A note's latest version, with its labels",
        params,
        querystring: noQuery,
        response: { 200: note },
      },
    },
    async (request) => getNote(database.db, request.params.note_id),
  );

  r.get(
    "/api/notes/:note_id/versions/:version",
    {
      schema: {
        tags,
        summary: "One version of a note",
        params: versionParams,
        querystring: noQuery,
        response: { 200: noteVersion },
      },
    },
    async (request) => getNoteVersion(database.db, request.params.note_id, request.params.version),
  );

  r.get(
    "/api/notes",
    {
      schema: {
        tags,
        summary: "Notes by last activity (their latest version's created_at), oldest first, keyset-paginated",
        querystring: listQuerySchema,
        response: { 200: z.object({ items: z.array(note), next_cursor: z.string().nullable() }) },
      },
    },
    async (request) => listNotes(database.db, toListRange(request.query)),
  );

  r.delete(
    "/api/notes/:note_id",
    {
      schema: {
        tags,
        summary: "Erase a note, all its versions and everything derived from them",
        params,
        querystring: noQuery,
        response: { 204: z.null().describe("Erased; no body") },
      },
    },
    async (request, reply) => {
      await transaction(database, (trx) => deleteNote(trx, request.params.note_id));
      return reply.code(204).send(null);
    },
  );
}
