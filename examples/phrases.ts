/**
 * Hand-written phrase banks for made-up customer-support items, and the few
 * functions that put them together. Shared by `examples/make-sample.ts` (the
 * small sample in `examples/sample.ndjson`) and `bench/synthetic.ts` (big,
 * seeded data sets for benchmarks), so both speak the same language as
 * `examples/taxonomy.yaml`.
 *
 * Each topic is written for one label of the example taxonomy: its
 * `customer` lines all trigger that label, and no line of it triggers a label
 * outside `label` + `also` (test/examples.test.ts checks both). Neutral lines
 * trigger nothing. Lines are templates: `{slot}` is filled from the slot
 * banks below, once per item, so an item names one order, one product, one
 * customer throughout.
 *
 * Everything here is written for relabel; names, companies, numbers and
 * addresses are invented.
 */

// ------------------------------------------------------------------ random

export type Random = () => number;

/** mulberry32: a small, fast, seedable PRNG; plenty for made-up data. */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(random: Random, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

/** An integer in [min, max]. */
export function between(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** The index drawn from (not necessarily normalized) weights. */
export function weighted(random: Random, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let r = random() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i] as number;
    if (r < 0) return i;
  }
  return weights.length - 1;
}

// ------------------------------------------------------------------- slots

/** A bank written as one comma-separated string, to keep it compact. */
const list = (items: string): readonly string[] => items.split(", ");

const FIRST_NAMES = list(
  "Amara, Ben, Carlos, Dana, Elif, Farah, Gabriel, Hana, Ines, Jonas, Kemi, Liam, Maya, Nikhil, Olga, Priya, Quentin, Rosa, Sven, Tomás, Uma, Victor, Wen, Yusuf, Zoe, Aiko, Bruno, Chloe, Dmitri, Esther, Femi, Greta, Hugo, Isla, Jamal, Kira",
);
const SURNAMES = list(
  "Okafor, Lindqvist, Moreau, Haddad, Nakamura, Brennan, Kowalski, Silva, Mensah, Rossi, Fischer, Patel, Novak, Delgado, Andersen, Osei, Kaya, Byrne, Ivanova, Tanaka",
);
const AGENTS = list("Sam, Priya, Marco, Jess, Tariq, Lena, Ollie, Naomi, Diego, Ruth, Kofi, Ana");
const PRODUCTS = list(
  "desk lamp, standing desk, office chair, monitor arm, wireless keyboard, webcam, headset, coffee grinder, blender, water bottle, backpack, rain jacket, yoga mat, phone case, bluetooth speaker, smart plug, kettle, bookshelf, ceramic vase, travel mug",
);
const APPS = list("iOS app, Android app, desktop app, web app, app, browser extension");
const DEVICES = list(
  "iPhone 15, iPhone 13, Pixel 8, Galaxy S23, iPad Air, MacBook Pro, Windows 11 laptop, Chromebook, Surface Pro, OnePlus 11",
);
const PLANS = list("Starter, Pro, Team, Business, Enterprise");
const CURRENCIES = ["$", "€", "£"];
const DAYS = list("two, three, four, five, six, eight, ten, 12, 14, 20");
const WEEKDAYS = list("Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday");
const DATES = list(
  "Monday, Tuesday, Wednesday, Thursday, Friday, last week, the 3rd, the 14th, the 21st, October 28, November 2, November 9, November 17, the weekend",
);
const MONTHS = list("August, September, October, November");
const CITIES = list("Leeds, Rotterdam, Lyon, Denver, Toronto, Porto, Dublin, Austin, Malmö, Kraków");
const REGIONS = list("EU, US East, US West, APAC, UK");
const CARRIERS = list("UPS, DHL, FedEx, Royal Mail, USPS, PostNL, DPD");
const FEATURES = list(
  "dark mode, CSV export of reports, calendar sync, bulk editing, offline mode, custom fields, shared inboxes, keyboard shortcuts, a Slack integration, recurring tasks, saved filters, an audit log, single sign-on for small teams, a public API for reports",
);
const COMPETITORS = list("Zendora, Supportly, Quickdesk, Ticketon, Helpnest");
const ERROR_CODES = list("500, 502, 503, 403, E-1042, ERR-2207, E4031, ERR-5120, E-0917");
const VERSIONS = list("4.12.1, 4.13.0, 5.0.2, 5.1.0, 3.9.8");
const STREETS = list("Harbour Road, Elm Street, Canal Street, Station Road, Maple Avenue, Kingsway");
const YEARS = list("2019, 2020, 2021, 2022, 2023, 2024, 2025");
const ALNUM = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";

function digits(random: Random, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += Math.floor(random() * 10);
  return s;
}

const SLOT_MAKERS = {
  name: (r: Random) => pick(r, FIRST_NAMES),
  surname: (r: Random) => pick(r, SURNAMES),
  agent: (r: Random) => pick(r, AGENTS),
  product: (r: Random) => pick(r, PRODUCTS),
  app: (r: Random) => pick(r, APPS),
  device: (r: Random) => pick(r, DEVICES),
  plan: (r: Random) => pick(r, PLANS),
  amount: (r: Random) =>
    `${pick(r, CURRENCIES)}${between(r, 4, 480)}.${pick(r, ["00", "99", "50", "95", "49"])}`,
  days: (r: Random) => pick(r, DAYS),
  weekday: (r: Random) => pick(r, WEEKDAYS),
  date: (r: Random) => pick(r, DATES),
  month: (r: Random) => pick(r, MONTHS),
  city: (r: Random) => pick(r, CITIES),
  region: (r: Random) => pick(r, REGIONS),
  carrier: (r: Random) => pick(r, CARRIERS),
  feature: (r: Random) => pick(r, FEATURES),
  competitor: (r: Random) => pick(r, COMPETITORS),
  errcode: (r: Random) => pick(r, ERROR_CODES),
  version: (r: Random) => pick(r, VERSIONS),
  year: (r: Random) => pick(r, YEARS),
  last4: (r: Random) => digits(r, 4),
  people: (r: Random) => String(between(r, 3, 60)),
  rating: (r: Random) => String(between(r, 1, 5)),
  order: (r: Random) => (r() < 0.6 ? `#${digits(r, 7)}` : `ORD-${digits(r, 8)}`),
  ups: (r: Random) => {
    let s = "1Z";
    for (let i = 0; i < 16; i++) s += ALNUM[Math.floor(r() * ALNUM.length)];
    return s;
  },
  vat: (r: Random) => `${pick(r, ["GB", "DE", "NL", "FR", "IE"])}${digits(r, 9)}`,
  address: (r: Random) => `${between(r, 1, 240)} ${pick(r, STREETS)}, ${pick(r, CITIES)}`,
} satisfies Record<string, (random: Random) => string>;

export type SlotName = keyof typeof SLOT_MAKERS | "email";

// Slots by number, so that an item's values are a small array rather than a dictionary.
const SLOT_LIST = [...(Object.keys(SLOT_MAKERS) as (keyof typeof SLOT_MAKERS)[]), "email"] as const;
const SLOT_INDEX = new Map<string, number>(SLOT_LIST.map((name, i) => [name, i]));
const MAKERS = SLOT_LIST.map((name) => (name === "email" ? undefined : SLOT_MAKERS[name]));
const slotIndex = (slot: SlotName) => SLOT_INDEX.get(slot) as number;
const NAME = slotIndex("name");
const SURNAME = slotIndex("surname");

/** Spaces in a slot value: the words it adds beyond the one its slot counts for. */
function spaces(value: string): number {
  let n = 0;
  for (let j = 0; j < value.length; j++) if (value.charCodeAt(j) === 32) n++;
  return n;
}

/**
 * The slot values of one item, drawn on first use and kept, so that an item
 * talks about one order and one product throughout. `email` is derived from
 * the name.
 */
export class SlotContext {
  private readonly values: (string | undefined)[] = new Array(SLOT_LIST.length).fill(undefined);
  /** Each value's `spaces`. */
  private readonly extra: number[] = new Array(SLOT_LIST.length).fill(0);
  constructor(readonly random: Random) {}

  /** Fixes a slot's value before it is drawn. */
  set(slot: SlotName, value: string): void {
    this.put(slotIndex(slot), value);
  }

  get(slot: SlotName): string {
    return this.at(slotIndex(slot));
  }

  /** The value of slot number `i`. */
  at(i: number): string {
    const value = this.values[i];
    if (value !== undefined) return value;
    const maker = MAKERS[i];
    return this.put(
      i,
      maker
        ? maker(this.random)
        : `${this.at(NAME).toLowerCase()}.${this.at(SURNAME).toLowerCase()}@example.com`,
    );
  }

  /** The words slot `i`'s value adds beyond one (after `at(i)`). */
  extraWords(i: number): number {
    return this.extra[i] as number;
  }

  private put(i: number, value: string): string {
    this.values[i] = value;
    this.extra[i] = spaces(value);
    return value;
  }
}

// --------------------------------------------------------------- templates

/** A line with `{slot}`s, split once so that filling it is only concatenation. */
export interface Template {
  source: string;
  /** Text between the slots: one more than `slots`. */
  parts: string[];
  /** Slot numbers. */
  slots: number[];
  /** Whitespace-separated words, counting each slot as one. */
  words: number;
  /** The last conversation that used it (composeConversation avoids repeats). */
  usedBy: number;
}

function countWords(text: string): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space = c === 32 || c === 10 || c === 9;
    if (!space && !inWord) words++;
    inWord = !space;
  }
  return words;
}

export function template(source: string): Template {
  const parts: string[] = [];
  const slots: number[] = [];
  let last = 0;
  for (const match of source.matchAll(/\{(\w+)\}/g)) {
    const index = SLOT_INDEX.get(match[1] as string);
    if (index === undefined) throw new Error(`unknown slot ${match[0]} in: ${source}`);
    parts.push(source.slice(last, match.index));
    slots.push(index);
    last = match.index + match[0].length;
  }
  parts.push(source.slice(last));
  return { source, parts, slots, words: countWords(source.replace(/\{\w+\}/g, "x")), usedBy: 0 };
}

/** The words of `fill(t, context).text` once filled. */
function filledWords(t: Template, context: SlotContext): number {
  let words = t.words;
  for (let i = 0; i < t.slots.length; i++) {
    const slot = t.slots[i] as number;
    context.at(slot);
    words += context.extraWords(slot);
  }
  return words;
}

/** A template filled from `context`. */
export function fillText(t: Template, context: SlotContext): string {
  const parts = t.parts;
  let text = parts[0] as string;
  for (let i = 0; i < t.slots.length; i++)
    text += context.at(t.slots[i] as number) + (parts[i + 1] as string);
  return text;
}

/** A template filled from `context`, and its words (slot values may have several). */
export function fill(t: Template, context: SlotContext): { text: string; words: number } {
  return { text: fillText(t, context), words: filledWords(t, context) };
}

const templates = (lines: readonly string[]): Template[] => lines.map(template);

// ------------------------------------------------------------------ topics

export type TopicKind = "issue" | "tone" | "note";

interface TopicSource {
  /** The label of examples/taxonomy.yaml this topic is written for. */
  label: string;
  /** Topics of a family go together more often (billing with billing, …). */
  family: string;
  /** issue: what a conversation is about; tone: how the customer feels about it; note: notes only. */
  kind: TopicKind;
  /** Other labels its lines may trigger (an order number, a refund mentioned by a double charge…). */
  also?: string[];
  subjects?: string[];
  /** Customer lines, each of which triggers `label` (if the label reads customer messages). */
  customer?: string[];
  /** More customer lines on the topic, which need not trigger it. */
  followUps?: string[];
  agent?: string[];
  /** Internal notes on the topic… */
  notes?: string[];
  /** …and what a later version of such a note adds. */
  updates?: string[];
}

export interface Topic {
  label: string;
  family: string;
  kind: TopicKind;
  /** Every label a line of this topic may trigger: `label` and `also`. */
  allowed: string[];
  subjects: Template[];
  customer: Template[];
  followUps: Template[];
  agent: Template[];
  notes: Template[];
  updates: Template[];
}

const ORDER = "order/number-mentioned";

const TOPIC_SOURCES: TopicSource[] = [
  // ---------------------------------------------------------------- billing
  {
    label: "billing/refund",
    family: "billing",
    kind: "issue",
    also: [ORDER, "resolution/refund-issued"],
    subjects: [
      "Refund request",
      "Refund for order {order}",
      "Requesting a refund",
      "Money back for unused months",
      "Refund status?",
      "Where is my refund?",
    ],
    customer: [
      "I'd like a refund for order {order}, the {product} isn't what I expected.",
      "Can I get a refund for my {plan} plan? I only used it for {days} days.",
      "I sent the {product} back {days} days ago and still haven't seen the refund.",
      "Please refund the {amount} you took for the renewal, I didn't mean to renew.",
      "I was promised my money back last week. When will it show up?",
      "Is the annual plan refundable if I downgrade now?",
      "I want to be reimbursed for the {amount} I paid for express shipping that wasn't express at all.",
      "My bank says you haven't refunded the {amount} yet.",
      "Can you refund the difference? I paid {amount} instead of the discounted price.",
    ],
    followUps: [
      "It's been {days} days since you said it was approved.",
      "Could you send me a confirmation email once it's done?",
      "The amount on my statement is {amount}, if that helps.",
      "I paid with the card ending {last4}.",
    ],
    agent: [
      "I've issued a full refund of {amount} to your original payment method; it usually shows up within 5 to 10 business days.",
      "Your refund has been processed, and you should see {amount} back on your card within a week.",
      "I'm sorry, the {plan} plan is outside the 30-day refund window, but I can offer account credit instead.",
      "I've issued a partial refund of {amount} for the unused months.",
      "I can see the return arrived at our warehouse, so I've refunded the order in full.",
      "Refunds go back to the card you paid with. Could you confirm its last four digits?",
    ],
    notes: [
      "Customer asked for a refund on order {order}. Approved {amount}.",
      "Refund requested for the {plan} plan, outside the 30-day window; offered account credit.",
      "Refunded {amount} to the card ending {last4}.",
      "{name} wants their money back for the {product}; return label sent.",
    ],
    updates: [
      "Refund confirmed by finance.",
      "Customer accepted account credit instead of a refund.",
      "Bank confirms the refund landed.",
    ],
  },
  {
    label: "billing/double-charge",
    family: "billing",
    kind: "issue",
    also: ["billing/refund", "resolution/refund-issued", ORDER],
    subjects: [
      "Charged twice",
      "Double charge on my card",
      "Duplicate payment this month",
      "Why was I billed twice?",
    ],
    customer: [
      "You charged me twice for the {plan} plan this month, {amount} each time.",
      "I see two identical lines of {amount} on my statement, so I was double charged.",
      "There's a duplicate charge on my card ending {last4}.",
      "My card was charged two times for the same order {order}.",
      "Looks like I got billed twice for the renewal on {date}.",
      "Why was my card charged twice? I only clicked pay once.",
    ],
    followUps: [
      "Both payments say 'completed' in my banking app.",
      "I only have one subscription, I checked.",
    ],
    agent: [
      "You're right, the payment went through twice because of a retry on our side, and I've issued a refund for the duplicate charge.",
      "I can only see one payment on our side; the second one may be a pending authorization that drops off in a few days.",
      "I've reversed the duplicate payment, sorry about that.",
    ],
    notes: [
      "Double charge on {date}, card ending {last4}. Duplicate reversed.",
      "Customer billed twice for the {plan} renewal; payment provider retried.",
    ],
    updates: ["Payment provider confirmed the duplicate was voided."],
  },
  {
    label: "billing/invoice",
    family: "billing",
    kind: "issue",
    subjects: [
      "Invoice request",
      "Need a receipt for {month}",
      "VAT number on invoices",
      "Wrong billing address on invoice",
      "Invoices for our finance team",
    ],
    customer: [
      "Could you send me an invoice for the last payment? Our finance team needs it.",
      "I need receipts for the past three months for my expense report.",
      "Please put our VAT number {vat} on future invoices.",
      "The billing address on my invoice is out of date, it should be {address}.",
      "Where can I download my invoices? I can't find them in the dashboard.",
      "Can the invoice show our company name instead of my personal name?",
    ],
    followUps: ["Our accountant needs them by the end of the month.", "A PDF is fine."],
    agent: [
      "I've emailed the invoice to {email}; you can also download it under Settings, then Billing.",
      "You can find all receipts under Billing, then History.",
      "I've updated the billing address, and your next invoice will show it.",
    ],
    notes: [
      "Sent copies of the {month} invoices to the customer's finance team.",
      "Customer needs VAT number {vat} on invoices; updated.",
    ],
    updates: ["Finance re-issued the invoice with the corrected address."],
  },
  {
    label: "billing/payment-failed",
    family: "billing",
    kind: "issue",
    subjects: [
      "Payment failed",
      "Card declined on renewal",
      "Can't pay for my subscription",
      "Payment not going through",
    ],
    customer: [
      "My card was declined when I tried to upgrade to {plan}.",
      "The renewal payment failed but my bank says there's money on the card.",
      "I keep getting a payment failure message at checkout.",
      "My card expired last month, how do I update it before the next renewal?",
      "The payment didn't go through and now my account shows as past due.",
    ],
    followUps: ["I've used this card for years without problems.", "I tried a second card too."],
    agent: [
      "The bank declined the charge with a generic code; please try another card or contact your bank.",
      "Your card on file has expired; you can add a new one under Billing.",
      "I've retried the failed payment and it went through this time.",
    ],
    notes: [
      "Renewal payment failed, customer is updating the card.",
      "Card declined due to insufficient funds; customer will retry on {date}.",
    ],
    updates: ["Customer added a new card; payment succeeded."],
  },
  // --------------------------------------------------------------- shipping
  {
    label: "shipping/delay",
    family: "shipping",
    kind: "issue",
    also: [ORDER, "shipping/tracking"],
    subjects: [
      "Order hasn't arrived",
      "Where is my order?",
      "Late delivery",
      "Still waiting for my package",
      "Delivery delayed again",
      "Order {order} not here",
    ],
    customer: [
      "My order {order} hasn't arrived yet and it's been {days} days.",
      "Where is my package? It was supposed to be here by {date}.",
      "I ordered the {product} on {date} and it still has not arrived.",
      "The delivery was delayed again, this is the third time.",
      "I haven't received my {product} and the estimated date was last week.",
      "Where's my order? The website just says 'processing'.",
      "Order {order} still hasn't shipped after {days} days.",
    ],
    followUps: [
      "I need it before {weekday}, it's a gift.",
      "I've been home all week so nobody missed the driver.",
      "Nobody at {carrier} could tell me anything.",
    ],
    agent: [
      "I'm sorry about the wait. {carrier} shows your parcel at the {city} depot, and it should arrive within two business days.",
      "There's a shipping delay in your region because of the weather; your order is on its way.",
      "Your package left our warehouse on {date} and is with {carrier} now.",
    ],
    notes: [
      "Order {order} delayed at the {carrier} depot in {city}.",
      "Late delivery; offered free shipping on the next order.",
    ],
    updates: ["Parcel delivered on {date}.", "Still nothing from the carrier; reshipping today."],
  },
  {
    label: "shipping/damaged",
    family: "shipping",
    kind: "issue",
    also: [ORDER, "billing/refund"],
    subjects: ["Item arrived damaged", "Broken {product}", "Damaged package", "Cracked on arrival"],
    customer: [
      "The {product} arrived damaged, the box was crushed on one side.",
      "The {product} is cracked right out of the box.",
      "My order {order} arrived broken, the glass is shattered.",
      "The parcel was torn open and the {product} inside is dented.",
      "There's water damage on the box and the {product} won't turn on.",
    ],
    followUps: ["I kept all the packaging.", "I can send photos if you need them."],
    agent: [
      "I'm so sorry it arrived like that. Could you send a photo of the product and the packaging?",
      "I've sent a replacement {product} at no cost; you don't need to return the damaged one.",
      "We'll arrange a pickup for the damaged item and send a new one.",
    ],
    notes: [
      "{product} damaged in transit, photos received. Replacement sent.",
      "Customer reports a cracked {product}; carrier claim opened.",
    ],
    updates: ["Carrier claim approved.", "Replacement delivered, customer happy."],
  },
  {
    label: "shipping/tracking",
    family: "shipping",
    kind: "issue",
    also: [ORDER, "shipping/delay"],
    subjects: [
      "Tracking number?",
      "Tracking link doesn't work",
      "How do I track my order?",
      "No shipping email",
    ],
    customer: [
      "Could you send me the tracking number for order {order}?",
      "The tracking link in the email gives me a 'not found' page.",
      "How can I track my order? I didn't get any shipping email.",
      "The tracking page hasn't updated since {date}.",
      "Tracking {ups} says delivered but nothing is here.",
    ],
    followUps: ["The last scan was in {city}.", "I checked with my neighbours too."],
    agent: [
      "Here's your tracking number: {ups}. It can take a day for {carrier} to show the first scan.",
      "The tracking information should update once the parcel is scanned at the depot.",
    ],
    notes: [
      "Sent tracking number {ups} to the customer.",
      "Tracking info missing for order {order}; asked the warehouse.",
    ],
    updates: ["Warehouse re-sent the shipping details."],
  },
  // -------------------------------------------------------------------- bugs
  {
    label: "bug/app-crash",
    family: "bug",
    kind: "issue",
    also: ["bug/performance"],
    subjects: [
      "App keeps crashing",
      "Crash on startup",
      "The app freezes",
      "App closes itself",
      "Crashes since the update",
    ],
    customer: [
      "The {app} crashes every time I open the reports tab on my {device}.",
      "Since the last update the app keeps crashing when I upload a photo.",
      "The app froze during checkout and now it won't open at all.",
      "On my {device} the screen goes white and the app closes itself.",
      "It crashed three times today while I was editing a project.",
      "The {app} freezes for a minute and then becomes unresponsive.",
    ],
    followUps: [
      "I'm on version {version}.",
      "Reinstalling didn't change anything.",
      "It's fine on my other phone.",
    ],
    agent: [
      "Thanks for the crash report. Could you tell me which version of the app you're on?",
      "Our engineers found the cause of the crash, and a fix ships in version {version}.",
      "Please try reinstalling the app; that clears the cache that causes this.",
    ],
    notes: ["Customer on {device} reports crashes in the reports tab; linked to the known issue."],
    updates: ["Fix released in {version}; asked the customer to update."],
  },
  {
    label: "bug/login",
    family: "bug",
    kind: "issue",
    also: ["bug/error-code"],
    subjects: ["Can't log in", "Login error", "Error when signing in", "Sign in broken?"],
    customer: [
      "I get an error every time I try to log in on my {device}.",
      "The login page shows a 'Something went wrong' error after I enter my details.",
      "Signing in with Google gives me an error and sends me back to the start.",
      "Login fails with error {errcode}.",
    ],
    followUps: ["My password is definitely right.", "It worked fine yesterday."],
    agent: [
      "We had a short outage on the login service this morning and it's fixed now. Could you try again?",
      "Could you send a screenshot of the error you see when you sign in?",
    ],
    notes: ["Login error for SSO users; passed to engineering."],
    updates: ["Engineering deployed a fix for the login error."],
  },
  {
    label: "bug/performance",
    family: "bug",
    kind: "issue",
    subjects: [
      "Dashboard very slow",
      "Pages take forever to load",
      "Export times out",
      "Everything is sluggish today",
    ],
    customer: [
      "The dashboard is really slow today, every page takes forever to load.",
      "The CSV export times out after a minute.",
      "Search is so laggy it's basically unusable.",
      "The {app} is very slow on my {device} since the update.",
      "I just get a spinning wheel when I open the inbox.",
    ],
    followUps: ["Our internet connection is fine, everything else works.", "It's the same in two browsers."],
    agent: [
      "We're seeing slow responses in the {region} region and the team is on it.",
      "Large exports can hit a limit, so I've raised it for your account.",
    ],
    notes: ["Customer reports a slow dashboard in the {region} region."],
    updates: ["Performance back to normal after the database fix."],
  },
  {
    label: "bug/error-code",
    family: "bug",
    kind: "issue",
    subjects: ["Error {errcode}", "Getting an error code", "Error message when saving"],
    customer: [
      "I keep getting error {errcode} when I save a document.",
      "The page says 'error code {errcode}' and nothing else.",
      "Uploading fails with Error: {errcode}.",
    ],
    followUps: ["It started on {date}.", "I tried with a smaller file too."],
    agent: [
      "Error {errcode} means the file is larger than the upload limit.",
      "That message usually goes away after signing out and back in again.",
    ],
    notes: ["Customer hitting error {errcode} on save; known bug."],
    updates: ["Error {errcode} fixed in {version}."],
  },
  // ---------------------------------------------------------------- feedback
  {
    label: "feedback/feature-request",
    family: "feedback",
    kind: "issue",
    subjects: [
      "Feature request: {feature}",
      "Suggestion for the app",
      "Any plans for {feature}?",
      "Idea: {feature}",
    ],
    customer: [
      "It would be great if you added {feature}.",
      "Any plans to support {feature}? We'd use it every day.",
      "Please add {feature}, it's the one thing I miss.",
      "Small suggestion: {feature} would save our team a lot of time.",
      "Could you add {feature} to the mobile app?",
      "I would love to see {feature} on the roadmap.",
    ],
    followUps: ["We have {people} people who would use it.", "Other tools we use already have it."],
    agent: [
      "Thanks for the suggestion! I've passed it on to our product team.",
      "Good news: {feature} is on the roadmap for later this year.",
      "I've added your vote to the feature request for {feature}.",
    ],
    notes: ["Feature request: {feature}. Added to the product board."],
    updates: ["Product team marked {feature} as planned."],
  },
  {
    label: "feedback/praise",
    family: "tone",
    kind: "tone",
    customer: [
      "Thank you so much, {agent}, that fixed it!",
      "Wow, that was fast. Great support as always.",
      "You're the best, I really appreciate the quick help.",
      "Brilliant, it works now.",
      "I love the app, by the way. It's made my job so much easier.",
      "Much appreciated, have a wonderful weekend!",
      "{agent} went above and beyond here, please pass that on.",
    ],
    notes: ["Customer very happy with the quick fix, called it fantastic."],
  },
  {
    label: "complaint/escalation",
    family: "tone",
    kind: "tone",
    also: ["internal/follow-up"],
    customer: [
      "I want to speak to a manager about this.",
      "This is the third time I'm writing. Please escalate this.",
      "If I don't hear back by {weekday}, I'll file a complaint with trading standards.",
      "Put me through to your supervisor, please.",
      "I'm considering legal action if this isn't resolved.",
    ],
    notes: ["Customer asked to speak to a manager; team lead to call back."],
  },
  {
    label: "complaint/dissatisfied",
    family: "tone",
    kind: "tone",
    customer: [
      "This is unacceptable, I've been waiting for weeks.",
      "Honestly I'm really disappointed with how this has been handled.",
      "I'm fed up with repeating the same story to every agent.",
      "This is the worst support experience I've had.",
      "Frankly the whole process has been frustrating.",
    ],
    notes: ["Customer frustrated by repeated contacts."],
  },
  // ----------------------------------------------------------------- account
  {
    label: "account/password-reset",
    family: "account",
    kind: "issue",
    subjects: ["Password reset not working", "Forgot my password", "Reset link expired"],
    customer: [
      "I forgot my password and the reset email never arrives.",
      "The password reset link says it has expired.",
      "How do I reset my password? The button does nothing.",
      "I set a new password but it still says it's wrong.",
    ],
    followUps: ["I checked the spam folder.", "My email is {email}."],
    agent: [
      "I've sent a new reset link to {email}; it's valid for one hour.",
      "Reset messages sometimes land in spam, could you check there?",
    ],
    notes: ["Sent a manual password reset to {email}."],
    updates: ["Customer confirmed they could set a new password."],
  },
  {
    label: "account/locked-out",
    family: "account",
    kind: "issue",
    subjects: ["Locked out of my account", "Account locked", "Account suspended?"],
    customer: [
      "I'm locked out after too many attempts, please help.",
      "My account is locked and I have a client meeting in an hour.",
      "Why is my account suspended? I haven't done anything wrong.",
      "Can you unlock my account? I typed the wrong PIN a few times.",
    ],
    followUps: ["I'm the only admin on the account.", "My email is {email}."],
    agent: [
      "I've unlocked it, so you can get back in now.",
      "For your security the account was locked after several failed attempts.",
    ],
    notes: ["Account locked after failed attempts; verified identity and unlocked."],
    updates: ["Customer is back in."],
  },
  {
    label: "account/2fa",
    family: "account",
    kind: "issue",
    subjects: [
      "2FA code not arriving",
      "Lost my authenticator app",
      "Two-factor problem",
      "Verification code invalid",
    ],
    customer: [
      "My 2FA codes stopped arriving by text.",
      "I got a new phone and lost my authenticator app.",
      "The verification code is always rejected as invalid.",
      "How do I turn on two-factor authentication for my team?",
      "I can't find my backup codes and I'm stuck at the security code screen.",
    ],
    followUps: ["My phone number hasn't changed.", "I'm travelling abroad this week."],
    agent: [
      "I've reset two-factor on your account; you'll be asked to set it up again next time.",
      "SMS codes can take a minute; if they don't arrive, use your recovery codes.",
    ],
    notes: ["Reset 2FA after an identity check (ID plus last payment amount)."],
    updates: ["Customer re-enrolled in 2FA."],
  },
  // ------------------------------------------------------------------- churn
  {
    label: "churn/cancellation",
    family: "churn",
    kind: "issue",
    also: ["billing/refund", "churn/risk"],
    subjects: [
      "Cancel my subscription",
      "Account cancellation",
      "Please close my account",
      "Stop auto-renewal",
    ],
    customer: [
      "Please cancel my subscription at the end of this billing period.",
      "I'd like to close my account, we don't use the tool anymore.",
      "How do I turn off auto-renew? I don't want to pay for another year.",
      "I want to cancel my plan, our team has moved on.",
      "Please delete my account and all my data.",
    ],
    followUps: ["Nothing personal, the budget was cut.", "Please confirm by email."],
    agent: [
      "I've processed the cancellation; you'll keep access until {date}.",
      "Before you go, would a discount on the {plan} plan change your mind?",
    ],
    notes: ["Cancellation requested; offered a 20% retention discount."],
    updates: ["Customer turned down the offer; subscription ends {date}."],
  },
  {
    label: "churn/risk",
    family: "tone",
    kind: "tone",
    customer: [
      "Honestly, {competitor} does this for half the price and I'm looking at alternatives.",
      "If this isn't fixed this week we're switching to another provider.",
      "At this price it's not worth it for a team our size.",
      "We won't be renewing next year unless things improve.",
      "Your competitors include this for free.",
      "This is the last straw.",
    ],
    notes: [
      "Customer says they're switching to a competitor; flagged to the account manager.",
      "Churn risk: customer thinks the {plan} plan is too expensive.",
    ],
  },
  // ------------------------------------------------------------------- notes
  {
    label: "internal/follow-up",
    family: "internal",
    kind: "note",
    notes: [
      "Follow up on {date} if no reply.",
      "Check back with the customer after the {version} release.",
      "Need to call back {name} tomorrow morning.",
      "Chase the warehouse for an answer.",
    ],
    updates: ["Following up again on {date}.", "Left a voicemail, will call back."],
  },
];

function compileTopic(source: TopicSource): Topic {
  return {
    label: source.label,
    family: source.family,
    kind: source.kind,
    allowed: [source.label, ...(source.also ?? [])],
    subjects: templates(source.subjects ?? []),
    customer: templates(source.customer ?? []),
    followUps: templates(source.followUps ?? []),
    agent: templates(source.agent ?? []),
    notes: templates(source.notes ?? []),
    updates: templates(source.updates ?? []),
  };
}

export const TOPICS: readonly Topic[] = TOPIC_SOURCES.map(compileTopic);
/** What a conversation is about (0–3 of them per conversation). */
export const ISSUE_TOPICS = TOPICS.filter((t) => t.kind === "issue");
/** How the customer feels (at most one per conversation, so praise never meets a complaint). */
export const TONE_TOPICS = TOPICS.filter((t) => t.kind === "tone");
const ISSUES_BY_FAMILY = new Map<string, Topic[]>(
  ISSUE_TOPICS.map((t) => [t.family, ISSUE_TOPICS.filter((u) => u.family === t.family)]),
);
/** Topics with note lines. */
export const NOTE_TOPICS = TOPICS.filter((t) => t.notes.length > 0);

// ---------------------------------------------------------------- neutral

/** Lines that trigger no label of the example taxonomy. */
export const NEUTRAL = {
  subjects: templates([
    "Question about my account",
    "Changing my email address",
    "Adding a team member",
    "Quick question",
    "Notification settings",
    "Help with settings",
    "Question about plans",
    "Moving to a new workspace",
    "Student discount?",
    "Phone support hours",
  ]),
  /** A customer's opening line when the conversation is about nothing in particular. */
  customer: templates([
    "How do I change the email address on my account?",
    "Is it possible to add a second user to the {plan} plan?",
    "What are your opening hours for phone support?",
    "Can I move my projects to a new workspace?",
    "Where do I change my notification settings?",
    "Do you have a student discount?",
    "How do I export my contacts to a spreadsheet?",
    "I'd like to update the shipping address on my profile to {address}.",
    "Can I change the name on the account to {name} {surname}?",
    "Is there a way to share a project with someone outside my team?",
  ]),
  /** An agent's answer to a neutral question, or a generic reply. */
  agent: templates([
    "You can change it under Settings, then Profile; the change applies right away.",
    "Yes, the {plan} plan includes up to five users, and you can invite them from the Team page.",
    "Phone support is open Monday to Friday, 9am to 6pm.",
    "Here's a help-center article that walks through it step by step.",
    "I've made that change for you.",
    "Good question! That option is under Settings, then Sharing.",
    "I've updated your profile, so you're all set.",
  ]),
  customerFiller: templates([
    "I've been a customer for about {days} years.",
    "I'm using my {device}.",
    "My account email is {email}.",
    "I tried again this morning with the same result.",
    "I've attached a screenshot.",
    "Let me know if you need anything else from me.",
    "I'm available all afternoon if a call is easier.",
    "My colleague {name} is copied on this email.",
    "We have about {people} people on the account.",
    "I already cleared the cache and restarted.",
    "It happened on both my phone and my laptop.",
    "This is for our team account, not my personal one.",
    "I checked the help center but couldn't find an answer.",
    "Hope you're having a good day.",
    "We're on the {plan} plan, if that matters.",
    "I'm in the {city} office this week.",
  ]),
  agentFiller: templates([
    "Thanks for reaching out.",
    "Thanks for your patience while I looked into this.",
    "I'm sorry for the trouble.",
    "I've checked your account and can see what happened.",
    "I've added a note to your account so the team has the full picture.",
    "Could you confirm the email address on the account?",
    "Is there anything else I can help you with?",
    "Let me know if that works for you.",
    "I'll keep this conversation open until I hear back.",
    "You'll get an email confirmation shortly.",
    "Here is a link to the relevant help-center article.",
    "Happy to help!",
  ]),
  customerShort: templates([
    "Ok.",
    "Sure, one moment.",
    "Yes, that's right.",
    "Done.",
    "Let me check.",
    "Got it, thanks.",
    "Still the same.",
  ]),
  agentShort: templates(["Thanks!", "One moment please.", "Perfect.", "Checking now.", "Great, thank you."]),
  customerGreetings: templates(["Hi,", "Hello,", "Hi there,", "Hey {agent},", "Good morning,", "Hi team,"]),
  customerClosings: templates([
    "Thanks,\n{name}",
    "Best,\n{name}",
    "Cheers, {name}",
    "Regards,\n{name} {surname}",
  ]),
  agentGreetings: templates(["Hi {name},", "Hello {name},", "Hi {name}, thanks for getting in touch."]),
  agentClosings: templates([
    "Best,\n{agent}",
    "Kind regards,\n{agent}, Customer Support",
    "All the best,\n{agent}",
  ]),
  /** Messages from the help desk itself. */
  system: templates([
    "Conversation assigned to {agent}.",
    "Customer rated this conversation {rating} out of 5.",
    "Auto-reply: we've received your message and will get back to you within one business day.",
    "Conversation transferred to the second-line team.",
    "Conversation reopened by customer reply.",
  ]),
  notes: templates([
    "Spoke with {name} by phone.",
    "Customer on the {plan} plan since {year}.",
    "Account owner is {name} {surname}.",
    "Sent the standard help-center article.",
    "Customer prefers email over phone.",
    "Verified identity with the account email.",
    "Customer uses the {app} on a {device}.",
  ]),
  noteUpdates: templates([
    "Customer confirmed everything works. Closing.",
    "No reply from the customer yet.",
    "Customer replied, all good.",
    "Handed over to {agent}.",
    "Spoke to {name} again, nothing new.",
  ]),
};

/** Subject prefixes and suffixes that make it urgent (priority/urgent reads subjects). */
export const URGENT_PREFIXES = ["Urgent: ", "URGENT - ", "Critical: ", "ASAP: "];
export const URGENT_SUFFIXES = [" !!", " - urgent", " (emergency)", "!!!"];

// ----------------------------------------------------------------- choosing

/**
 * Topics for one conversation: 0–3 issues (the second and third often from
 * the first one's family) and sometimes a tone: with the example taxonomy,
 * 0–4 labels for ~99% of items.
 */
export function chooseTopics(
  random: Random,
  issueWeights: readonly number[] = [20, 45, 25, 10],
  toneShare = 0.25,
): Topic[] {
  const chosen: Topic[] = [];
  const issues = weighted(random, issueWeights);
  for (let i = 0; i < issues; i++) {
    const first = chosen[0];
    const pool = first && random() < 0.6 ? (ISSUES_BY_FAMILY.get(first.family) as Topic[]) : ISSUE_TOPICS;
    const topic = pick(random, pool);
    if (!chosen.includes(topic)) chosen.push(topic);
  }
  // A tone on top of three issues would make too many labels for one item.
  if (issues < 3 && random() < (issues === 0 ? toneShare / 2 : toneShare))
    chosen.push(pick(random, TONE_TOPICS));
  return chosen;
}

/** Topics for one note: 1–2 of those with note lines, or none. */
export function chooseNoteTopics(random: Random): Topic[] {
  const n = weighted(random, [15, 60, 25]);
  const chosen: Topic[] = [];
  for (let i = 0; i < n; i++) {
    const topic = pick(random, NOTE_TOPICS);
    if (!chosen.includes(topic)) chosen.push(topic);
  }
  return chosen;
}

// -------------------------------------------------------------- composing

export type Role = "customer" | "agent" | "system";
export type Channel = "email" | "chat" | "phone";

export interface ConversationPlan {
  topics: readonly Topic[];
  messages: number;
  /** Words wanted in all (subject excluded); the result is within [minWords, maxWords]. */
  words: number;
  minWords: number;
  maxWords: number;
  channel: Channel;
  /** Share of subjects marked urgent. */
  urgentShare?: number;
}

export interface ComposedConversation {
  subject: string;
  messages: { role: Role; text: string }[];
  /** Slot values used (plan, names…), for metadata. */
  context: SlotContext;
}

interface Draft {
  role: Role;
  /** The message's sentences so far. */
  lines: string[];
  words: number;
  greeting: string;
  closing: string;
}

let conversationSerial = 0;

/**
 * Fills one conversation's messages, keeping count of its words so that it
 * never goes over the plan's maximum.
 */
class Writer {
  total = 0;
  /** Marks the templates this conversation used (`Template.usedBy`), to avoid repeats. */
  private readonly serial = ++conversationSerial;
  constructor(
    private readonly random: Random,
    readonly context: SlotContext,
    private readonly maxWords: number,
  ) {}

  /** Adds a line to a message unless it would go over the maximum; returns its words. */
  add(draft: Draft, t: Template, prefix = ""): number {
    const words = filledWords(t, this.context);
    if (this.total + words > this.maxWords) return 0;
    const text = fillText(t, this.context);
    const line = prefix ? prefix + lowerFirst(text) : text;
    draft.lines.push(line);
    draft.words += words;
    this.total += words;
    t.usedBy = this.serial;
    return words;
  }

  /** A line of the bank not used yet in this conversation, if a few draws find one. */
  fresh(bank: readonly Template[]): Template {
    let t = pick(this.random, bank);
    for (let i = 0; i < 4 && t.usedBy === this.serial; i++) t = pick(this.random, bank);
    return t;
  }

  /** A greeting or sign-off, if it fits. */
  frame(draft: Draft, t: Template): string {
    const words = filledWords(t, this.context);
    if (this.total + words > this.maxWords) return "";
    draft.words += words;
    this.total += words;
    return fillText(t, this.context);
  }
}

const SHORT_GREETINGS = templates(["Hi,", "Hi {agent},", "Hello again,"]);
const SHORT_AGENT_GREETINGS = templates(["Hi {name},", "Hi again {name},"]);
const ALSO = ["Also, ", "One more thing: ", "And "];

/**
 * One conversation: customer and agent turns (sometimes a system message),
 * the topics' lines placed where they would be said, then neutral filler
 * until the planned length. By email, messages get greetings and sign-offs;
 * they count towards the length.
 */
export function composeConversation(random: Random, plan: ConversationPlan): ComposedConversation {
  const context = new SlotContext(random);
  const writer = new Writer(random, context, plan.maxWords);
  const count = Math.max(2, plan.messages);

  // Turns: the customer opens; sometimes the help desk assigns or asks for a rating.
  const assigned = count >= 4 && random() < 0.15;
  const rated = count >= 4 && random() < 0.1;
  const drafts: Draft[] = [];
  const customer: Draft[] = [];
  const agent: Draft[] = [];
  const writers: Draft[] = [];
  let next: Role = "customer";
  for (let i = 0; i < count; i++) {
    const system = (assigned && i === 1) || (rated && i === count - 1);
    const role: Role = system ? "system" : next;
    const draft: Draft = { role, lines: [], words: 0, greeting: "", closing: "" };
    drafts.push(draft);
    if (!system) {
      writers.push(draft);
      (role === "customer" ? customer : agent).push(draft);
      next = role === "customer" ? "agent" : "customer";
    }
  }
  const opener = customer[0] as Draft;
  let tone: Topic | undefined;
  const issues: Topic[] = [];
  for (const topic of plan.topics) {
    if (topic.kind === "issue") issues.push(topic);
    else if (topic.kind === "tone") tone ??= topic;
  }

  // System messages; a rating that fits the mood.
  if (assigned) writer.add(drafts[1] as Draft, NEUTRAL.system[0] as Template);
  if (rated) {
    const mood = tone?.label;
    context.set(
      "rating",
      mood === "feedback/praise" ? "5" : mood ? pick(random, ["1", "2"]) : pick(random, ["3", "4", "5"]),
    );
    writer.add(drafts[count - 1] as Draft, NEUTRAL.system[1] as Template);
  }

  // What it is about.
  if (issues.length === 0) writer.add(opener, pick(random, NEUTRAL.customer));
  for (let i = 0; i < issues.length; i++) {
    const topic = issues[i] as Topic;
    const target = i === 0 || random() < 0.5 ? opener : (customer[Math.min(i, customer.length - 1)] as Draft);
    writer.add(target, pick(random, topic.customer), i > 0 && target === opener ? pick(random, ALSO) : "");
    if (topic.followUps.length > 0 && random() < 0.5) {
      const later = customer[Math.min(customer.indexOf(target) + 1, customer.length - 1)] as Draft;
      writer.add(later, pick(random, topic.followUps));
    }
    const reply = agent[Math.min(i, agent.length - 1)];
    if (reply && topic.agent.length > 0) writer.add(reply, pick(random, topic.agent));
  }
  if (tone) {
    // Praise comes at the end; complaints once the first answer did not help.
    const target =
      tone.label === "feedback/praise" ? (customer[customer.length - 1] as Draft) : (customer[1] ?? opener);
    writer.add(target, pick(random, tone.customer));
  }
  if (issues.length === 0 && agent[0]) writer.add(agent[0], pick(random, NEUTRAL.agent));

  // By email: a greeting on each message (a short one after the first) and one sign-off per person.
  if (plan.channel === "email") {
    const customerClosing = pick(random, NEUTRAL.customerClosings);
    const agentClosing = pick(random, NEUTRAL.agentClosings);
    for (const d of writers) {
      const first = d === opener || d === agent[0];
      const greetings =
        d.role === "customer"
          ? first
            ? NEUTRAL.customerGreetings
            : SHORT_GREETINGS
          : first
            ? NEUTRAL.agentGreetings
            : SHORT_AGENT_GREETINGS;
      if (first || random() < 0.6) d.greeting = writer.frame(d, pick(random, greetings));
      d.closing = writer.frame(d, d.role === "customer" ? customerClosing : agentClosing);
    }
  }

  // Filler up to the planned length, message by message.
  const target = Math.min(plan.maxWords, Math.max(plan.minWords, plan.words));
  const budget = Math.ceil(target / writers.length);
  for (const d of writers) {
    const bank = d.role === "customer" ? NEUTRAL.customerFiller : NEUTRAL.agentFiller;
    if (d.lines.length === 0)
      writer.add(d, writer.fresh(d.role === "customer" ? NEUTRAL.customerShort : NEUTRAL.agentShort));
    for (let tries = 0; d.words < budget && writer.total < target && tries < 12; tries++) {
      writer.add(d, writer.fresh(bank));
    }
  }
  // Still short of the minimum (long fillers did not fit): short lines do.
  for (let i = 0; writer.total < plan.minWords && i < 200; i++) {
    const d = writers[i % writers.length] as Draft;
    writer.add(d, writer.fresh(d.role === "customer" ? NEUTRAL.customerShort : NEUTRAL.agentShort));
  }

  const messages: { role: Role; text: string }[] = [];
  for (const d of drafts) {
    let text = d.lines.join(" ");
    if (d.greeting !== "") text = text === "" ? d.greeting : `${d.greeting}\n\n${text}`;
    if (d.closing !== "") text = text === "" ? d.closing : `${text}\n\n${d.closing}`;
    messages.push({ role: d.role, text });
  }

  const subjectTopic = issues[0];
  let subject = fillText(pick(random, subjectTopic ? subjectTopic.subjects : NEUTRAL.subjects), context);
  const urgent = random();
  const urgentShare = plan.urgentShare ?? 0.05;
  if (urgent < urgentShare / 2) subject = pick(random, URGENT_PREFIXES) + subject;
  else if (urgent < urgentShare) subject += pick(random, URGENT_SUFFIXES);
  return { subject, messages, context };
}

const upperFirst = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** "The app…" → "the app…" after "Also, "; "I…" stays. */
function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

/**
 * The versions of one internal note: version 1 from the topics' note lines
 * (or neutral ones), each later version the previous text plus an update.
 */
export function composeNote(random: Random, topics: readonly Topic[], versions: number): string[] {
  const context = new SlotContext(random);
  const lines: string[] = [];
  if (topics.length === 0 || random() < 0.4) lines.push(fillText(pick(random, NEUTRAL.notes), context));
  // A note line may start with a slot ("{product} damaged in transit").
  for (const topic of topics) lines.push(upperFirst(fillText(pick(random, topic.notes), context)));
  let text = lines.join(" ");
  const texts = [text];
  const withUpdates = topics.filter((t) => t.updates.length > 0);
  for (let v = 2; v <= versions; v++) {
    const bank =
      withUpdates.length > 0 && random() < 0.7 ? pick(random, withUpdates).updates : NEUTRAL.noteUpdates;
    text = `${text}\n\nUpdate: ${fillText(pick(random, bank), context)}`;
    texts.push(text);
  }
  return texts;
}
