import type { ProducerIdsBlock } from "../controller/producer-id-control.ts";

/**
 * Hands out producer ids from blocks the controller allocates (Kafka's RPCProducerIdManager):
 * ids are unique cluster-wide because each block is committed to the metadata log.
 */
export class ProducerIdManager {
  private next = 0n;
  private end = 0n;
  private refill: Promise<void> | null = null;

  constructor(private readonly allocate: () => Promise<ProducerIdsBlock>) {}

  async generate(): Promise<bigint> {
    while (this.next >= this.end) {
      this.refill ??= this.allocate().then(
        (block) => {
          this.next = block.producerIdStart;
          this.end = block.producerIdStart + BigInt(block.producerIdLen);
          this.refill = null;
        },
        (err: unknown) => {
          this.refill = null;
          throw err;
        },
      );
      await this.refill;
    }
    return this.next++;
  }
}
