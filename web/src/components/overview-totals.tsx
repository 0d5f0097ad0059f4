import type { Overview } from "./overview-types";
import { count } from "./time";

/** The four numbers a visitor looks for first; per kind beneath, so the sums can be checked. */
export function OverviewTotals({ totals }: { totals: Overview["totals"] }) {
  const cards = [
    { term: "Conversations", value: totals.conversations.items },
    { term: "Notes", value: totals.notes.items },
    { term: "Labeled", value: totals.all.labeled },
    { term: "Unlabeled", value: totals.all.unlabeled },
  ];
  return (
    <section aria-labelledby="totals-heading">
      <h2 id="totals-heading">Totals</h2>
      <dl class="cards overview-totals">
        {cards.map((c) => (
          <div class="card" key={c.term}>
            <dt>{c.term}</dt>
            <dd data-total={c.term}>{count(c.value)}</dd>
          </div>
        ))}
      </dl>
      <p class="muted">
        Labeled: {count(totals.conversations.labeled)} conversations and {count(totals.notes.labeled)} notes.
        Unlabeled: {count(totals.conversations.unlabeled)} conversations and {count(totals.notes.unlabeled)}{" "}
        notes.
      </p>
    </section>
  );
}
