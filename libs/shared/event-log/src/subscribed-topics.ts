import { type ConsumeOptions } from '@tollgate/ports';

/** The topics of a consume call: `topics`, or `topic`; at least one, none twice. */
export function subscribedTopics(options: Pick<ConsumeOptions, 'topic' | 'topics'>): string[] {
  const topics = [...(options.topics ?? []), ...(options.topic !== undefined ? [options.topic] : [])];
  if (topics.length === 0) throw new Error('consume needs a topic (or topics)');
  if (new Set(topics).size !== topics.length) {
    throw new Error(`a topic is listed twice in ${topics.join(', ')}`);
  }
  return topics;
}
