import { Highlighted, scrollableProps, spansIn } from "./item-highlight";
import type { Conversation } from "./item-types";
import { Time } from "./time";

/** A conversation as a help desk shows it: subject, then each message with its author's role and time. */
export function ItemConversation({ conversation }: { conversation: Conversation }) {
  const { labels, subject, messages } = conversation;
  return (
    <section aria-labelledby="item-text-heading">
      <h2 id="item-text-heading">Messages</h2>
      <p class="item-subject">
        <span class="muted">Subject: </span>
        <span class="text" data-field="subject">
          <Highlighted text={subject} spans={spansIn(labels, "subject", subject)} />
        </span>
      </p>
      {messages.length === 0 ? <p class="muted">No messages.</p> : null}
      <ol class="item-messages">
        {messages.map((m, i) => (
          <li key={i}>
            <article class={`message ${m.role}`} aria-label={`Message ${i + 1}, ${m.role}`}>
              <header>
                <span class="badge">{m.role}</span>
                <span>#{i + 1}</span>
                <Time iso={m.at} />
              </header>
              <div
                class="text"
                data-field="message"
                data-index={i}
                {...scrollableProps(m.text, `Text of message ${i + 1}`)}
              >
                <Highlighted text={m.text} spans={spansIn(labels, "message", m.text, i)} />
              </div>
            </article>
          </li>
        ))}
      </ol>
    </section>
  );
}
