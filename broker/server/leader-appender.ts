import type { MetadataImage } from "../controller/metadata-image.ts";
import { NodeChannel } from "../network/node-channel.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { ApiKey } from "../protocol/generated/apis.ts";

export interface LeaderAppenderOptions {
  nodeId: number;
  /** The listener brokers use to reach each other (inter.broker.listener.name). */
  interBrokerListener: string;
  metadata: () => MetadataImage;
  /** Appends on this node when it leads the partition; returns false when it does not. */
  appendLocally: (topic: string, partition: number, batch: Buffer) => Promise<boolean>;
  timeoutMs: number;
}

/**
 * Internal writes (state changes from every node's state machines) to a partition that may
 * be led by another node: appended here when this node leads it, otherwise produced to the
 * leader (acks=all) over the inter-broker listener, one reopening channel per broker.
 */
export class LeaderAppender {
  private readonly channels = new Map<number, NodeChannel>();

  constructor(private readonly options: LeaderAppenderOptions) {}

  async append(topic: string, partition: number, batch: Buffer): Promise<void> {
    if (await this.options.appendLocally(topic, partition, batch)) return;
    const leader = this.options.metadata().partition(topic, partition)?.leader ?? -1;
    if (leader < 0) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${partition} has no leader`);
    if (leader === this.options.nodeId) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${topic}-${partition} is not led here yet`);
    const res = await this.channel(leader).send(ApiKey.Produce, 3, 11, {
      acks: -1,
      timeoutMs: this.options.timeoutMs,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
    });
    const p = res.responses[0]?.partitionResponses[0];
    const code = p?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (code !== ErrorCode.NONE) throw new KafkaError(code as never, p?.errorMessage ?? `produce to broker ${leader} failed`);
  }

  close(): void {
    for (const c of this.channels.values()) c.close();
    this.channels.clear();
  }

  private channel(brokerId: number): NodeChannel {
    let c = this.channels.get(brokerId);
    if (!c) {
      c = new NodeChannel(() => this.address(brokerId), { clientId: `samsa-broker-${this.options.nodeId}`, timeoutMs: this.options.timeoutMs });
      this.channels.set(brokerId, c);
    }
    return c;
  }

  private address(brokerId: number): string {
    const b = this.options.metadata().brokers.get(brokerId);
    const l = b?.listeners.find((e) => e.name === this.options.interBrokerListener) ?? b?.listeners[0];
    if (!l) throw new Error(`broker ${brokerId} has no registered listener`);
    return `${l.host}:${l.port}`;
  }
}
