import { analysisTopic, previewTopic } from "../analysis/topic.js";
import { TopicRegistry } from "../pubsub/registry.js";
import { fanOutTopic } from "../reanalysis/fanout.js";

/** The topics this build knows. */
export function defaultTopics(): TopicRegistry {
  return new TopicRegistry([analysisTopic(), previewTopic(), fanOutTopic()]);
}
