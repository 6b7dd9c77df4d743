// A kafkajs partition assigner named "roundrobin", the protocol name of Kafka's and
// librdkafka's RoundRobinAssignor, speaking the standard consumer protocol (kafkajs'
// AssignerProtocol is Kafka's ConsumerProtocol v0 encoding), so kafkajs and librdkafka
// members can share one group. The algorithm is librdkafka's: all subscribed topic-partitions
// sorted by topic then partition, members sorted by member id, each partition given to the
// next member (cyclically) that subscribes to its topic. Every member gets an assignment,
// possibly empty, so a member the leader leaves out never sees a zero-length one.
import { AssignerProtocol, type PartitionAssigner } from "kafkajs";

export const roundRobinAssigner: PartitionAssigner = ({ cluster }) => ({
  name: "roundrobin",
  version: 0,
  async assign({ members, topics }) {
    const subs = members
      .map((m) => ({ memberId: m.memberId, topics: new Set(AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics ?? []) }))
      .sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    const result = new Map<string, Record<string, number[]>>(subs.map((s) => [s.memberId, {}]));
    const tps = [...topics]
      .sort()
      .flatMap((topic) => cluster.findTopicPartitionMetadata(topic).map((p) => ({ topic, partition: p.partitionId })).sort((a, b) => a.partition - b.partition));
    let next = 0;
    for (const tp of tps) {
      for (let tries = 0; tries < subs.length; tries++) {
        const s = subs[next % subs.length]!;
        next++;
        if (!s.topics.has(tp.topic)) continue;
        const a = result.get(s.memberId)!;
        (a[tp.topic] ??= []).push(tp.partition);
        break;
      }
    }
    return [...result].map(([memberId, assignment]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: "roundrobin", metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});
