import { analysisTopic } from "../analysis/topic.js";
import { TopicRegistry } from "../pubsub/registry.js";

/** The topics this build knows. */
export function defaultTopics(): TopicRegistry {
  return new TopicRegistry([analysisTopic()]);
}
