import { ErrorCode } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { TopicPartition } from "../../coordinator/offset-and-metadata.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";
import { partitionExists } from "./offset-commit.ts";

/**
 * OffsetDelete: removes a group's committed offsets. Partitions of unknown topics get
 * UNKNOWN_TOPIC_OR_PARTITION; a group-level error (e.g. GROUP_ID_NOT_FOUND,
 * NON_EMPTY_GROUP) replaces the whole answer, as in Kafka.
 */
export function offsetDeleteHandler(services: BrokerServices): ApiHandler<47> {
  return async (req): Promise<ApiResponse<47>> => {
    const image = services.metadata();
    const errors = new Map<string, number>();
    const valid: TopicPartition[] = [];
    for (const t of req.topics) {
      for (const p of t.partitions) {
        if (partitionExists(image, t.name, p.partitionIndex)) valid.push({ topic: t.name, partition: p.partitionIndex });
        else errors.set(`${t.name}\u0000${p.partitionIndex}`, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      }
    }
    const r = await services.groupCoordinator.deleteOffsets(req.groupId, valid);
    if (r.error !== ErrorCode.NONE) return { errorCode: r.error, throttleTimeMs: 0, topics: [] };
    for (const p of r.partitions) errors.set(`${p.tp.topic}\u0000${p.tp.partition}`, p.error);
    return {
      errorCode: ErrorCode.NONE,
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errors.get(`${t.name}\u0000${p.partitionIndex}`) ?? ErrorCode.NONE })),
      })),
    };
  };
}
