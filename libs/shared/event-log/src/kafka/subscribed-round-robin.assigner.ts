import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

export const SUBSCRIBED_ROUND_ROBIN = 'TollgateSubscribedRoundRobin';

/**
 * Round-robin over the partitions of every topic the group reads, each partition to a member that
 * subscribes to its topic. kafkajs's own round-robin assigner hands the leader's topics to every
 * member, whatever each subscribes to: two deployments sharing a group id (or a rolling change of
 * topics) would then leave partitions with members that drop them, and those partitions unread.
 */
export const subscribedRoundRobinAssigner: PartitionAssigner = ({ cluster }) => ({
  name: SUBSCRIBED_ROUND_ROBIN,
  version: 1,

  async assign({ members }) {
    const subscriptions = new Map<string, string[]>();
    for (const member of members) {
      const metadata = AssignerProtocol.MemberMetadata.decode(member.memberMetadata);
      subscriptions.set(member.memberId, metadata?.topics ?? []);
    }
    const memberIds = [...subscriptions.keys()].sort();
    const topics = [...new Set([...subscriptions.values()].flat())].sort();
    // The leader knows the partitions of its own topics only.
    await cluster.addMultipleTargetTopics(topics);
    const assignment = new Map<string, Record<string, number[]>>(memberIds.map((id) => [id, {}]));
    let turn = 0;
    for (const topic of topics) {
      const subscribers = memberIds.filter((id) => subscriptions.get(id)?.includes(topic));
      const partitions = cluster
        .findTopicPartitionMetadata(topic)
        .map((metadata) => metadata.partitionId)
        .sort((a, b) => a - b);
      for (const partition of partitions) {
        const member = assignment.get(subscribers[turn % subscribers.length]);
        turn += 1;
        if (member) (member[topic] ??= []).push(partition);
      }
    }
    return memberIds.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 1,
        assignment: assignment.get(memberId) ?? {},
        userData: Buffer.alloc(0),
      }),
    }));
  },

  protocol({ topics }) {
    return {
      name: SUBSCRIBED_ROUND_ROBIN,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    };
  },
});
