import { createHash } from "node:crypto";

/**
 * The fingerprint and size of what analysis reads, stored with every write.
 * The ack transaction compares the fingerprint with the one the analysis
 * loaded: a different one (or none, the item was deleted) means the labels
 * computed are not about the item as it is now, so they are not written.
 */
export interface Content {
  content_hash: string;
  content_bytes: number;
}

function fingerprint(parts: string[]): string {
  const hash = createHash("sha256");
  // Lengths first, so no two different lists of parts hash alike.
  hash.update(JSON.stringify(parts.map((p) => p.length)));
  for (const part of parts) hash.update(part);
  return hash.digest("base64url").slice(0, 22);
}

/**
 * A conversation's fingerprint is of its subject and messages (role and
 * text), the parts analysis reads; its size counts its metadata too, what a
 * page of conversations carries.
 */
export function conversationContent(
  subject: string,
  messages: { role: string; text: string }[],
  metadataJson: string,
): Content {
  const parts = [subject, ...messages.flatMap((m) => [m.role, m.text])];
  const bytes = parts.reduce((n, p) => n + p.length, metadataJson.length);
  return { content_hash: fingerprint(parts), content_bytes: bytes };
}

/** A note version's text and metadata: two versions alike in both are the same version (re-imports). */
export function noteVersionContent(text: string, metadataJson: string): Content {
  return {
    content_hash: fingerprint([text, metadataJson]),
    content_bytes: text.length + metadataJson.length,
  };
}
