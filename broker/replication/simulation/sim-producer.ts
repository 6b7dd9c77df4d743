import type { MetadataImage } from "../../controller/metadata-image.ts";
import { encodeRecordBatch } from "../../protocol/records/record-batch.ts";
import type { ReplicaManager } from "../replica-manager.ts";
import { batchCrc } from "./log-batches.ts";
import type { Ack } from "./replication-invariants.ts";
import type { NetworkNode, SimNetwork } from "./sim-network.ts";

export interface ProducerStats {
  sent: number;
  failed: number;
  ackedAll: number;
  ackedOne: number;
}

/**
 * A producer client on the simulated network: each send is one batch with a unique value,
 * to the partition's leader as the controller's metadata names it, through that broker's
 * ReplicaManager.appendRecords (acks=all or acks=1). Failed sends are not retried (a retry
 * could duplicate a batch); acknowledgements are reported with the offset and CRC the
 * broker assigned, which the invariants then hold the cluster to.
 */
export class SimProducer {
  readonly stats: ProducerStats = { sent: 0, failed: 0, ackedAll: 0, ackedOne: 0 };
  readonly acks: Ack[] = [];
  private sequence = 0;

  constructor(
    readonly node: NetworkNode,
    private readonly network: SimNetwork,
    private readonly topic: string,
    private readonly metadata: () => MetadataImage,
    private readonly replicaManagerOf: (id: number) => ReplicaManager | undefined,
    private readonly onAck: (ack: Ack) => void,
    private readonly requestTimeoutMs: number,
  ) {}

  send(partition: number, acks: -1 | 1): void {
    const leader = this.metadata().partition(this.topic, partition)?.leader ?? -1;
    if (leader < 0) return;
    const records = encodeRecordBatch({
      baseTimestamp: 1_000_000n,
      records: [{ offsetDelta: 0, timestampDelta: 0, key: null, value: Buffer.from(`record-${this.sequence++}`), headers: [] }],
    });
    const crc = batchCrc(records);
    this.stats.sent++;
    const request = () => {
      const rm = this.replicaManagerOf(leader);
      if (!rm) return Promise.reject(new Error(`broker ${leader} is down`));
      return rm.appendRecords(acks, this.requestTimeoutMs, [{ topic: this.topic, partition, records }]);
    };
    this.network.call(this.node, leader, this.requestTimeoutMs * 2, request).then(
      ([r]) => {
        if (!r || r.errorCode !== 0) return void this.stats.failed++;
        if (acks === -1) this.stats.ackedAll++;
        else this.stats.ackedOne++;
        const ack: Ack = { partition, offset: r.baseOffset, crc, acks };
        this.acks.push(ack);
        this.onAck(ack);
      },
      () => void this.stats.failed++,
    );
  }
}
