import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { checkBrokerEpoch } from "./cluster-control.ts";
import type { ControlContext, ControllerResult } from "./controller-result.ts";
import { metadataRecord } from "./metadata-record-serde.ts";

/**
 * Producer id blocks (Kafka's ProducerIdControlManager). Brokers hand out producer ids
 * (InitProducerId) from blocks the controller allocates; a ProducerIdsRecord moves the
 * cluster's next free id past the block, so ids are never reused, even across restarts.
 */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
const INT64_MAX = 2n ** 63n - 1n;

export interface ProducerIdsBlock {
  assignedBrokerId: number;
  producerIdStart: bigint;
  producerIdLen: number;
}

export function allocateProducerIds(ctx: ControlContext, brokerId: number, brokerEpoch: bigint): ControllerResult<ProducerIdsBlock> {
  checkBrokerEpoch(ctx, brokerId, brokerEpoch);
  const first = ctx.image.nextProducerId;
  if (first > INT64_MAX - BigInt(PRODUCER_ID_BLOCK_SIZE)) {
    throw new KafkaError(
      ErrorCode.UNKNOWN_SERVER_ERROR,
      "Exhausted all producerIds as the next block's end producerId has exceeded the int64 type limit",
    );
  }
  const next = first + BigInt(PRODUCER_ID_BLOCK_SIZE);
  return {
    records: [metadataRecord("ProducerIdsRecord", { brokerId, brokerEpoch, nextProducerId: next })],
    response: { assignedBrokerId: brokerId, producerIdStart: first, producerIdLen: PRODUCER_ID_BLOCK_SIZE },
  };
}
