import type { MessageType } from "./messages.js";

export const TOPIC_ROOT = "hearth/v1";

export function topicFor(home: string, type: MessageType): string {
  return `${TOPIC_ROOT}/${home}/${type}`;
}

export function commandTopic(home: string, name: string): string {
  return `${TOPIC_ROOT}/${home}/cmd/${name}`;
}

/** Subscription filter for every command to this home. */
export function commandFilter(home: string): string {
  return `${TOPIC_ROOT}/${home}/cmd/+`;
}

/** The command name of a topic, or undefined when the topic is not a command to this home. */
export function commandName(home: string, topic: string): string | undefined {
  const prefix = `${TOPIC_ROOT}/${home}/cmd/`;
  return topic.startsWith(prefix) ? topic.slice(prefix.length) : undefined;
}
