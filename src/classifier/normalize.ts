/**
 * Text → normalized words, each remembering the stretch of the original text
 * it came from, so that evidence can quote the text exactly.
 *
 * Normalization folds away differences that customers make freely but that
 * carry no intent: case, Unicode width (NFKC), typographic apostrophes,
 * contractions ("don't" → "do not", also typed without the apostrophe),
 * British/American spelling, and the exact digits of a number ("£250" and
 * "£100" are the same question).
 */

export interface Words {
  /** The normalized words, in text order. */
  words: string[];
  /** For each word, the index of the raw token (below) it came from: "don't" gives two words, one token. */
  source: number[];
  /** UTF-16 offsets of each raw token in the original text. */
  start: number[];
  end: number[];
}

// Letters, digits and marks, joined by apostrophes; currency signs stand alone
// because "$" versus "£" is often what a question is about.
const TOKEN = /[\p{L}\p{M}\p{N}]+(?:['\u2019][\p{L}\p{M}\p{N}]+)*|[$£€¥₹]/gu;
const ASCII = /^[\x20-\x7e]*$/;
const DIGIT = /[0-9]/g;

// Maps, not object literals: a text may well contain "constructor" or "__proto__".

/** Apostrophe-free spellings that people type for contractions. */
const BARE_CONTRACTIONS = new Map<string, readonly string[]>(
  Object.entries({
    dont: ["do", "not"],
    doesnt: ["does", "not"],
    didnt: ["did", "not"],
    cant: ["can", "not"],
    cannot: ["can", "not"],
    wont: ["will", "not"],
    isnt: ["is", "not"],
    arent: ["are", "not"],
    wasnt: ["was", "not"],
    werent: ["were", "not"],
    havent: ["have", "not"],
    hasnt: ["has", "not"],
    hadnt: ["had", "not"],
    couldnt: ["could", "not"],
    wouldnt: ["would", "not"],
    shouldnt: ["should", "not"],
    aint: ["is", "not"],
    im: ["i", "am"],
    ive: ["i", "have"],
    youre: ["you", "are"],
    theyre: ["they", "are"],
    whats: ["what", "is"],
    thats: ["that", "is"],
    theres: ["there", "is"],
  }),
);

const IRREGULAR_NOT = new Map(Object.entries({ ca: "can", wo: "will", sha: "shall", ai: "is" }));
const SUFFIX_WORD = new Map(Object.entries({ m: "am", re: "are", ve: "have", ll: "will", d: "would" }));

/**
 * British spellings (and a few common misspellings) to one form. A list rather
 * than a rule: "-ise" → "-ize" would also turn "promise" into "promize".
 */
const SPELLING = new Map<string, string>([
  ["cancelled", "canceled"],
  ["cancelling", "canceling"],
  ["cancellation", "cancelation"],
  ["travelling", "traveling"],
  ["travelled", "traveled"],
  ["labelled", "labeled"],
  ["colour", "color"],
  ["favourite", "favorite"],
  ["centre", "center"],
  ["behaviour", "behavior"],
  ["licence", "license"],
  ["programme", "program"],
  ["enrol", "enroll"],
  ["authorise", "authorize"],
  ["authorised", "authorized"],
  ["authorisation", "authorization"],
  ["unauthorised", "unauthorized"],
  ["recognise", "recognize"],
  ["recognised", "recognized"],
  ["unrecognised", "unrecognized"],
  ["organise", "organize"],
  ["realise", "realize"],
  ["apologise", "apologize"],
  ["finalise", "finalize"],
  ["utilise", "utilize"],
  ["prioritise", "prioritize"],
  ["personalise", "personalize"],
  ["defence", "defense"],
  ["offence", "offense"],
  ["analyse", "analyze"],
  ["catalogue", "catalog"],
  ["whilst", "while"],
  ["amongst", "among"],
  ["recieve", "receive"],
  ["recieved", "received"],
  ["adress", "address"],
  ["transfered", "transferred"],
  ["transfering", "transferring"],
  ["ok", "okay"],
]);

/** The normalized words of one raw token (after NFKC and lowercasing). */
function expand(token: string, out: string[]): void {
  const apostrophe = token.indexOf("'");
  if (apostrophe > 0) {
    const head = token.slice(0, apostrophe);
    const tail = token.slice(apostrophe + 1);
    if (tail === "t" && head.endsWith("n")) {
      const base = head.slice(0, -1);
      out.push(IRREGULAR_NOT.get(base) ?? base, "not");
      return;
    }
    const word = SUFFIX_WORD.get(tail);
    if (word !== undefined) {
      out.push(head, word);
      return;
    }
    // Possessive or "is" ("card's"): the head carries the meaning.
    if (tail === "s") {
      out.push(head);
      return;
    }
    out.push(token.replaceAll("'", ""));
    return;
  }
  const bare = BARE_CONTRACTIONS.get(token);
  if (bare !== undefined) {
    out.push(...bare);
    return;
  }
  out.push(SPELLING.get(token) ?? token);
}

export function normalizeToken(raw: string): string {
  const folded = ASCII.test(raw)
    ? raw.toLowerCase()
    : raw.normalize("NFKC").toLowerCase().replaceAll("\u2019", "'");
  return folded.replace(DIGIT, "0");
}

export function toWords(text: string): Words {
  const result: Words = { words: [], source: [], start: [], end: [] };
  const expanded: string[] = [];
  for (const match of text.matchAll(TOKEN)) {
    const index = result.start.length;
    result.start.push(match.index);
    result.end.push(match.index + match[0].length);
    expanded.length = 0;
    expand(normalizeToken(match[0]), expanded);
    for (const word of expanded) {
      result.words.push(word);
      result.source.push(index);
    }
  }
  return result;
}
