import { ErrorCode, KafkaError, errorCodeOf } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { ApiHandler } from "../request-dispatcher.ts";
import type { ProducerIdManager } from "../producer-id-manager.ts";

/**
 * InitProducerId for idempotent producers: a fresh producer id at epoch 0 (Kafka does the
 * same for a non-transactional producer that asks to bump its epoch, KIP-360). Transactional
 * ids need the transaction coordinator, which Samsa does not have yet.
 */
export function initProducerIdHandler(producerIds: ProducerIdManager): ApiHandler<22> {
  return async (req): Promise<ApiResponse<22>> => {
    try {
      if (req.transactionalId !== null) {
        throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, "transactions are not supported yet");
      }
      return { throttleTimeMs: 0, errorCode: 0, producerId: await producerIds.generate(), producerEpoch: 0 };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: errorCodeOf(err), producerId: -1n, producerEpoch: -1 };
    }
  };
}
