/**
 * Writes examples/sample.ndjson: ~250 conversations and ~80 notes (some with
 * 2–3 versions) over the 60 days before 2026-11-24, from the phrase banks of
 * examples/phrases.ts. Deterministic: the same script gives the same file.
 *
 *   npx tsx examples/make-sample.ts > examples/sample.ndjson
 *
 * Every topic of the phrase banks comes up several times, so every label of
 * examples/taxonomy.yaml is on some sample item; some items are about
 * nothing in particular and get no label.
 */
import {
  between,
  type Channel,
  chooseNoteTopics,
  composeConversation,
  composeNote,
  ISSUE_TOPICS,
  mulberry32,
  NOTE_TOPICS,
  pick,
  TONE_TOPICS,
  type Topic,
  weighted,
} from "./phrases.js";

const CONVERSATIONS = 250;
const NOTES = 80;
const END = Date.parse("2026-11-24T00:00:00Z");
const DAYS = 60;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const CHANNELS: readonly Channel[] = ["email", "chat", "phone"];

const random = mulberry32(20261124);
const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

interface Line {
  at: number;
  json: string;
}
const lines: Line[] = [];

/** The first topic cycles through all issues, so each comes up ~20 times; more follow by chance. */
function topicsFor(i: number): Topic[] {
  if (i % 9 === 4) return random() < 0.3 ? [pick(random, TONE_TOPICS)] : [];
  const first = ISSUE_TOPICS[i % ISSUE_TOPICS.length] as Topic;
  const topics = [first];
  const more = weighted(random, [60, 30, 10]);
  for (let k = 0; k < more; k++) {
    const pool = random() < 0.5 ? ISSUE_TOPICS.filter((t) => t.family === first.family) : ISSUE_TOPICS;
    const topic = pick(random, pool);
    if (!topics.includes(topic)) topics.push(topic);
  }
  if (random() < 0.3) topics.push(pick(random, TONE_TOPICS));
  return topics;
}

for (let i = 0; i < CONVERSATIONS; i++) {
  const channel = CHANNELS[weighted(random, [45, 40, 15])] as Channel;
  const count = 2 + Math.floor(random() ** 1.3 * 9);
  const conversation = composeConversation(random, {
    topics: topicsFor(i),
    messages: count,
    words: between(random, Math.max(30, 8 * count), 180),
    minWords: 25,
    maxWords: 260,
    channel,
    urgentShare: 0.08,
  });
  const created = END - Math.floor(random() * DAYS * DAY);
  const length = channel === "email" ? HOUR + random() * 3 * DAY : 5 * MINUTE + random() * HOUR;
  const updated = Math.min(END, created + length);
  const step = (updated - created) / (conversation.messages.length - 1);
  lines.push({
    at: updated,
    json: JSON.stringify({
      type: "conversation",
      fs_id: `c-${10001 + i}`,
      subject: conversation.subject,
      messages: conversation.messages.map((m, k) => ({
        role: m.role,
        text: m.text,
        at: iso(k === conversation.messages.length - 1 ? updated : created + k * step),
      })),
      metadata: { channel, plan: conversation.context.get("plan") },
      created_at: iso(created),
      updated_at: iso(updated),
    }),
  });
}

for (let i = 0; i < NOTES; i++) {
  // One topic in turn (so follow-ups and every other note topic come up), sometimes another.
  const topics = i % 10 === 7 ? [] : [NOTE_TOPICS[i % NOTE_TOPICS.length] as Topic];
  if (topics.length > 0 && random() < 0.4) {
    const extra = chooseNoteTopics(random)[0];
    if (extra && !topics.includes(extra)) topics.push(extra);
  }
  const versions = 1 + weighted(random, [55, 30, 15]);
  let at = END - Math.floor(random() * DAYS * DAY);
  composeNote(random, topics, versions).forEach((text, v) => {
    if (v > 0) at = Math.min(END, at + 30 * MINUTE + random() * 2 * DAY);
    lines.push({
      at,
      json: JSON.stringify({
        type: "note",
        note_id: `n-${2001 + i}`,
        version: v + 1,
        text,
        created_at: iso(at),
      }),
    });
  });
}

// In time order, as an export would be (stable, so a note's versions stay in order).
lines.sort((a, b) => a.at - b.at);
process.stdout.write(lines.map((l) => `${l.json}\n`).join(""));
