/**
 * The error catalog: every error relabel answers with has a stable code, an
 * HTTP status and a default message here. Clients switch on `code`; the
 * message is for people and may be made more specific where it is thrown.
 */
export const ERRORS = {
  bad_request: { status: 400, message: "The request is malformed." },
  validation_failed: { status: 400, message: "The request does not match the expected shape." },
  invalid_json: { status: 400, message: "The body is not valid JSON." },
  invalid_timestamp: { status: 400, message: "A timestamp is not valid." },
  invalid_cursor: { status: 400, message: "The cursor is not one this server issued." },
  invalid_id: { status: 400, message: "An id is not valid." },
  unknown_topic: { status: 400, message: "No such topic." },
  invalid_key: { status: 400, message: "The message key does not match the topic's key schema." },
  invalid_taxonomy: { status: 400, message: "The taxonomy is not valid; see details.issues." },
  unknown_label: { status: 400, message: "No such label in the current taxonomy." },
  unauthorized: {
    status: 401,
    message:
      "Missing or invalid credentials: send 'Authorization: Bearer <RELABEL_API_TOKEN>', or sign in at /console.",
  },
  insufficient_scope: {
    status: 403,
    message:
      "This token may write and read items and labels only; the runners, the queue and the taxonomy need an admin token.",
  },
  cross_origin_refused: {
    status: 403,
    message: "A browser session may only change things from relabel's own pages (same origin).",
  },
  host_not_allowed: {
    status: 403,
    message:
      "Browser sessions are served only under relabel's own host names: the loopback names, HOST, and RELABEL_ALLOWED_HOSTS.",
  },
  not_found: { status: 404, message: "No such route." },
  conversation_not_found: { status: 404, message: "No conversation with this fs_id." },
  note_not_found: { status: 404, message: "No note with this note_id." },
  note_version_not_found: { status: 404, message: "This note has no such version." },
  label_not_found: {
    status: 404,
    message:
      "No such label: neither the current taxonomy nor any item has it, or a label under it (GET /api/labels/stats lists the labels items carry).",
  },
  no_manual_decision: { status: 404, message: "No manual decision on this label for this item." },
  job_not_found: { status: 404, message: "No reanalysis job with this id." },
  model_not_found: {
    status: 404,
    message: "No model with this version; GET /api/internal/models lists the versions there are.",
  },
  taxonomy_version_not_found: {
    status: 404,
    message:
      "No taxonomy with this version: GET /api/taxonomy/versions lists the stored ones (0 is the empty taxonomy).",
  },
  method_not_allowed: { status: 405, message: "This route does not accept this method." },
  request_timeout: { status: 408, message: "The request was not received in time." },
  note_version_conflict: { status: 409, message: "This note version already exists with other content." },
  no_active_model: {
    status: 409,
    message: "No model is active: train one with `relabel model train --data FILE`, or activate one.",
  },
  no_ground_truth: {
    status: 409,
    message:
      "Nobody has labeled an item by hand with a label this model knows: label items by hand, or POST /api/internal/labels/evaluate with {examples}.",
  },
  invalid_training_data: {
    status: 400,
    message: "The training or evaluation data is not usable; see the message.",
  },
  evaluation_too_long: {
    status: 422,
    message: "The evaluation ran past its time limit and was stopped; send fewer examples or folds.",
  },
  evaluation_unavailable: {
    status: 503,
    message: "As many evaluations as this server takes are running or waiting; retry in a minute.",
  },
  preview_unavailable: {
    status: 503,
    message: "As many taxonomy previews as this server takes are running; retry in a few seconds.",
  },
  body_too_large: { status: 413, message: "The body is larger than the limit of 1 MiB." },
  item_too_large: {
    status: 413,
    message:
      "An item (a conversation, or a note version) is at most 4 MiB as compact JSON, through the API and in an import file alike.",
  },
  uri_too_long: { status: 414, message: "The URL or one of its path parameters is too long." },
  unsupported_media_type: { status: 415, message: "Send the body as application/json." },
  rate_limited: { status: 429, message: "Too many requests; slow down." },
  headers_too_large: { status: 431, message: "The request line and headers are too large." },
  internal: { status: 500, message: "Something went wrong on our side; it has been logged." },
  storage_full: {
    status: 507,
    message:
      "The database is out of space, so nothing was written; reads still work. Retry once space is freed.",
  },
  web_app_not_built: {
    status: 503,
    message: "The web app has not been built: run `npm run build` (npm start does), then reload.",
  },
  database_unavailable: { status: 503, message: "The database cannot be reached right now; retry shortly." },
  database_busy: {
    status: 503,
    message:
      "Another process has held the database's write lock too long; nothing was written. Retry shortly.",
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ERRORS[code].message);
    this.name = "AppError";
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export function errorBody(err: AppError): ErrorBody {
  const body: ErrorBody = { error: { code: err.code, message: err.message } };
  if (err.details !== undefined) body.error.details = err.details;
  return body;
}
