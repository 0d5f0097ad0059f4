/** Small synthetic data sets for tests and smoke checks: seeded, so every run sees the same texts. */

import { seeded } from "./random.js";
import type { Example } from "./types.js";

const FILLER =
  "please i my the a we you can could would how why when is it this that to for of and again still".split(
    " ",
  );

export const TOPICS: Record<string, string[]> = {
  refund: ["refund", "money back", "reimburse", "return my payment", "refunded"],
  delivery: ["delivery", "package", "shipping", "courier", "parcel hasn't arrived"],
  password: ["password", "log in", "login", "locked out", "reset my password"],
};

function sentence(random: () => number, phrases: readonly string[], length: number): string {
  const words: string[] = [];
  for (let k = 0; k < length; k++) words.push(FILLER[Math.floor(random() * FILLER.length)] as string);
  const phrase = phrases[Math.floor(random() * phrases.length)] as string;
  words.splice(Math.floor(random() * (words.length + 1)), 0, phrase);
  return words.join(" ");
}

/** Single-label: each text mentions one topic among filler words. */
export function singleLabel(count: number, seed = 1): Example[] {
  const random = seeded(seed);
  const labels = Object.keys(TOPICS);
  return Array.from({ length: count }, (_, i) => {
    const label = labels[i % labels.length] as string;
    return {
      text: sentence(random, TOPICS[label] as string[], 3 + Math.floor(random() * 6)),
      labels: [label],
    };
  });
}

/** Multi-label: each text mentions zero, one or two topics. */
export function multiLabel(count: number, seed = 2): Example[] {
  const random = seeded(seed);
  const labels = Object.keys(TOPICS);
  return Array.from({ length: count }, (_, i) => {
    const chosen = labels.filter((_, c) => (i >> c) & 1 || (i % 7 === c && random() < 0.5));
    const parts = chosen.map((label) =>
      sentence(random, TOPICS[label] as string[], 2 + Math.floor(random() * 3)),
    );
    if (parts.length === 0)
      parts.push(Array.from({ length: 5 }, () => FILLER[Math.floor(random() * FILLER.length)]).join(" "));
    return { text: parts.join(" and also "), labels: chosen };
  });
}
