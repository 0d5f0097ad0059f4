import { AppError } from "../errors.js";
import type { TopicDefinition } from "./topic.js";

/** The topics a process knows, by name. */
export class TopicRegistry {
  readonly #topics = new Map<string, TopicDefinition>();

  constructor(topics: TopicDefinition[]) {
    for (const topic of topics) this.#topics.set(topic.name, topic);
  }

  get(name: string): TopicDefinition {
    const topic = this.#topics.get(name);
    if (!topic) {
      const known = this.names();
      throw new AppError("unknown_topic", `No topic '${name}'. Known topics: ${known.join(", ")}.`, {
        known_topics: known,
      });
    }
    return topic;
  }

  names(): string[] {
    return [...this.#topics.keys()];
  }

  all(): TopicDefinition[] {
    return [...this.#topics.values()];
  }
}
