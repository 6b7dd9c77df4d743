import type { BrokerConfig } from "../config/broker-config.ts";
import type { CreatableTopic } from "../controller/replication-control.ts";
import { STATE_CHANGES_TOPIC } from "../events/state-change.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";

export const CONSUMER_OFFSETS_TOPIC = "__consumer_offsets";
export const TRANSACTION_STATE_TOPIC = "__transaction_state";

/**
 * How Samsa creates its internal topics, with Kafka's configs for the two Kafka ones
 * (GroupCoordinator/TransactionStateManager offsetsTopicConfigs). `__state_changes` is
 * Samsa's: one partition, time-retained. Each factor is capped at the brokers alive when the
 * topic is first created, so a cluster smaller than the configured factor still gets its
 * internal topics (Kafka 3.9 instead refuses them until enough brokers have registered).
 */
export function internalTopicSpec(name: string, config: BrokerConfig, activeBrokers: number): CreatableTopic {
  const factor = (key: string) => Math.max(1, Math.min(config.int(key), activeBrokers));
  const cfg = (entries: Record<string, string>) => Object.entries(entries).map(([n, value]) => ({ name: n, value }));
  switch (name) {
    case CONSUMER_OFFSETS_TOPIC:
      return {
        name,
        numPartitions: config.int("offsets.topic.num.partitions"),
        replicationFactor: factor("offsets.topic.replication.factor"),
        assignments: [],
        configs: cfg({ "cleanup.policy": "compact", "compression.type": "producer", "segment.bytes": config.get("offsets.topic.segment.bytes")! }),
      };
    case TRANSACTION_STATE_TOPIC:
      return {
        name,
        numPartitions: config.int("transaction.state.log.num.partitions"),
        replicationFactor: factor("transaction.state.log.replication.factor"),
        assignments: [],
        configs: cfg({
          "cleanup.policy": "compact",
          "compression.type": "uncompressed",
          "min.insync.replicas": config.get("transaction.state.log.min.isr")!,
          "segment.bytes": config.get("transaction.state.log.segment.bytes")!,
        }),
      };
    case STATE_CHANGES_TOPIC:
      return {
        name,
        numPartitions: 1,
        replicationFactor: factor("state.change.log.replication.factor"),
        assignments: [],
        configs: cfg({ "cleanup.policy": "delete", "retention.ms": String(7 * 24 * 3_600_000) }),
      };
    default:
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `${name} is not an internal topic`);
  }
}
