/**
 * A light English stemmer for word features: plurals, -ed, -ing and a final
 * "e", so that "charge", "charged", "charges" and "charging" are one feature.
 *
 * Deliberately weaker than Porter: only inflections are removed, never
 * derivations ("payment" stays apart from "pay"), because in support texts
 * the derived word is often the intent ("transfer" vs "transferred" hardly
 * differ, "verification" vs "verify" do not need to merge — the character
 * n-grams already relate them). It needs only to be consistent.
 */

const VOWEL = /[aeiouy]/;

function isConsonant(c: string): boolean {
  return c >= "a" && c <= "z" && !"aeiou".includes(c);
}

export function stem(word: string): string {
  if (word.length <= 3) return word;
  let w = word;
  if (w.endsWith("sses")) w = w.slice(0, -2);
  else if (w.endsWith("ies") && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith("s") && !w.endsWith("ss") && !w.endsWith("us") && !w.endsWith("is")) w = w.slice(0, -1);

  if (w.endsWith("ied") && w.length > 4) {
    w = `${w.slice(0, -3)}y`;
  } else {
    for (const suffix of ["ing", "ed"]) {
      if (!w.endsWith(suffix)) continue;
      const rest = w.slice(0, -suffix.length);
      if (rest.length < 3 || !VOWEL.test(rest)) break;
      w = rest;
      // "topping" → "top", not "topp"; but "falling" keeps its "ll" like "fall".
      const last = w.charAt(w.length - 1);
      if (last === w.charAt(w.length - 2) && isConsonant(last) && !"lsz".includes(last)) w = w.slice(0, -1);
      break;
    }
  }
  if (w.length > 3 && w.endsWith("e")) w = w.slice(0, -1);
  return w;
}
