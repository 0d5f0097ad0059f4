import { z } from "zod";
import { parseJobRequest } from "../reanalysis/request.js";
import { timestampInput } from "../validation.js";
import type { PreviewRange } from "./preview-items.js";

/** `type` as every route spells it (plural, the singular accepted too); `both` is the default. */
const TYPES = {
  conversations: "conversations",
  notes: "notes",
  both: undefined,
  conversation: "conversations",
  note: "notes",
} as const;
type TypeName = keyof typeof TYPES;

export const previewBody = z.strictObject({
  taxonomy: z
    .unknown()
    .refine(
      (value) => value !== undefined,
      "is required: the proposed taxonomy, as PUT /api/taxonomy takes it",
    )
    .describe(
      "the proposed taxonomy, exactly as PUT /api/taxonomy takes it: {labels: [...]}, or that as YAML or JSON text (a string)",
    ),
  from: timestampInput.optional().describe("ISO-8601 or epoch ms; default 30 days ago (as reanalysis)"),
  until: timestampInput
    .optional()
    .describe("ISO-8601 (a date alone: the end of that day) or epoch ms; default now"),
  type: z
    .enum(Object.keys(TYPES) as [TypeName, ...TypeName[]])
    .optional()
    .describe("conversations, notes or both (default); the singular conversation, note is accepted too"),
});
export type PreviewBody = z.infer<typeof previewBody>;

/**
 * The range and kinds, read exactly as the runbook's reanalysis reads its
 * query (same defaults, same 400s naming the parameter): a preview of
 * `from`–`until` looks at the very items a reanalysis of it would.
 */
export function previewRange(body: Omit<PreviewBody, "taxonomy">, now = Date.now()): PreviewRange {
  const query: Record<string, unknown> = {};
  if (body.from !== undefined) query.from = body.from;
  if (body.until !== undefined) query.until = body.until;
  const type = body.type === undefined ? undefined : TYPES[body.type];
  if (type !== undefined) query.type = type;
  const { type: kinds, from, until } = parseJobRequest(query, now);
  return { type: kinds, from, until };
}
