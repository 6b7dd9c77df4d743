import { ErrorCode } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import { CloseConnection } from "../../network/connection.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

/**
 * Produce: appends each partition's batches on its leader. acks=0 sends no response; as in
 * Kafka, a failed acks=0 produce closes the connection so the client notices.
 */
export function produceHandler(services: BrokerServices): ApiHandler<0> {
  return async (req): Promise<ApiResponse<0> | null> => {
    if (req.acks !== 0 && req.acks !== 1 && req.acks !== -1) {
      return respondAll(req, ErrorCode.INVALID_REQUIRED_ACKS, `Invalid required acks ${req.acks}`);
    }
    if (req.transactionalId !== null) {
      return respondAll(req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, "transactions are not supported yet");
    }
    const entries = req.topicData.flatMap((t) => t.partitionData.map((p) => ({ topic: t.name, partition: p.index, records: p.records })));
    const results = await services.replicaManager.appendRecords(req.acks, req.timeoutMs, entries);
    if (req.acks === 0) {
      const failed = results.find((r) => r.errorCode !== 0);
      if (failed) throw new CloseConnection(`acks=0 produce to ${failed.topic}-${failed.partition} failed: ${failed.errorMessage ?? failed.errorCode}`);
      return null;
    }
    let i = 0;
    return {
      responses: req.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map(() => {
          const r = results[i++]!;
          return {
            index: r.partition,
            errorCode: r.errorCode,
            baseOffset: BigInt(r.baseOffset),
            logAppendTimeMs: BigInt(r.logAppendTime),
            logStartOffset: BigInt(r.logStartOffset),
            recordErrors: r.recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message })),
            errorMessage: r.errorCode === 0 ? null : r.errorMessage,
            currentLeader: services.replicaManager.currentLeader(r.topic, r.partition),
          };
        }),
      })),
      throttleTimeMs: 0,
      nodeEndpoints: [],
    };
  };
}

function respondAll(req: { acks: number; topicData: { name: string; partitionData: { index: number }[] }[] }, errorCode: number, message: string): ApiResponse<0> | null {
  if (req.acks === 0) throw new CloseConnection(message);
  return {
    responses: req.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => ({
        index: p.index,
        errorCode,
        baseOffset: -1n,
        logAppendTimeMs: -1n,
        logStartOffset: -1n,
        recordErrors: [],
        errorMessage: message,
        currentLeader: { leaderId: -1, leaderEpoch: -1 },
      })),
    })),
    throttleTimeMs: 0,
    nodeEndpoints: [],
  };
}
