// A topic's partitions (leader, replicas, ISR) as one broker's Metadata answers them, over
// one raw connection to that broker alone: kafkajs's admin also talks to the other brokers,
// and a SIGSTOPped one holds its requests until the client's 30 s timeout.
import { ApiKey } from "../../broker/protocol/generated/apis.ts";
import { ZERO_UUID } from "../../broker/protocol/generated/support.ts";
import { withWire } from "./groups.ts";

export interface PartitionState {
  partition: number;
  leader: number;
  replicas: number[];
  /** Sorted. */
  isr: number[];
}

/** The partitions of `topic` in partition order; throws on a topic-level error. */
export async function partitionStates(bootstrap: string, topic: string): Promise<PartitionState[]> {
  const md = await withWire(bootstrap, (c) => c.request(ApiKey.Metadata, 12, { topics: [{ topicId: ZERO_UUID, name: topic }], allowAutoTopicCreation: false }));
  const t = md.topics[0]!;
  if (t.errorCode !== 0) throw new Error(`Metadata ${topic}: error ${t.errorCode}`);
  return t.partitions
    .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, replicas: p.replicaNodes, isr: [...p.isrNodes].sort() }))
    .sort((a, b) => a.partition - b.partition);
}
