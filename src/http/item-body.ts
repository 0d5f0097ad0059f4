import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { checkItemSize, itemTooLarge, MAX_ITEM_RAW_BYTES } from "../items/size.js";
import { sendError } from "./errors.js";

/**
 * Route options for the routes whose body is an item (PUT a conversation,
 * POST a note version): the item limit (src/items/size.ts) instead of the
 * server's 1 MiB body limit, so whatever an import takes can be written over
 * HTTP too, and the same 413 `item_too_large` as an import gives. Spread
 * into the route's options.
 */
export const itemBody = {
  // Bodies past this cannot be within the limit, whatever they hold: refused unread.
  bodyLimit: MAX_ITEM_RAW_BYTES,
  // Before the schema: an oversized item is refused for its size, as an import line is.
  preValidation: async (request: FastifyRequest) => {
    const sent = Number(request.headers["content-length"]);
    checkItemSize(request.body, Number.isFinite(sent) ? sent : undefined);
  },
  errorHandler: (err: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
    sendError(err.code === "FST_ERR_CTP_BODY_TOO_LARGE" ? itemTooLarge() : err, request, reply),
};
