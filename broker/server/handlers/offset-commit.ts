import { ErrorCode } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { OffsetAndMetadata, TopicPartition } from "../../coordinator/offset-and-metadata.ts";
import type { MetadataImage } from "../../controller/metadata-image.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

/**
 * OffsetCommit: partitions of unknown topics are refused here; the rest go to the group
 * coordinator and the response waits until their records are committed. v1 may carry a
 * commit timestamp, v2-4 a retention time (the offsets then expire at commit + retention),
 * v6+ the leader epoch. v0 (ZooKeeper storage in Kafka) is stored like v1 with generation -1.
 */
export function offsetCommitHandler(services: BrokerServices): ApiHandler<8> {
  return async (req, ctx): Promise<ApiResponse<8>> => {
    const version = ctx.header.apiVersion;
    const image = services.metadata();
    const now = services.clock.now();
    const expireTimestamp = version >= 2 && version <= 4 && req.retentionTimeMs !== -1n ? now + Number(req.retentionTimeMs) : null;
    const errors = new Map<string, number>();
    const offsets: { tp: TopicPartition; value: OffsetAndMetadata }[] = [];
    for (const topic of req.topics) {
      for (const p of topic.partitions) {
        if (!partitionExists(image, topic.name, p.partitionIndex)) {
          errors.set(key(topic.name, p.partitionIndex), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          continue;
        }
        offsets.push({
          tp: { topic: topic.name, partition: p.partitionIndex },
          value: {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch,
            metadata: p.committedMetadata ?? "",
            commitTimestamp: p.commitTimestamp === -1n ? now : Number(p.commitTimestamp),
            expireTimestamp,
          },
        });
      }
    }
    if (offsets.length > 0) {
      const results = await services.groupCoordinator.commitOffsets({
        groupId: req.groupId,
        generationId: req.generationIdOrMemberEpoch,
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId,
        offsets,
      });
      offsets.forEach((o, i) => errors.set(key(o.tp.topic, o.tp.partition), results[i]!));
    }
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errors.get(key(t.name, p.partitionIndex)) ?? ErrorCode.UNKNOWN_SERVER_ERROR })),
      })),
    };
  };
}

export function partitionExists(image: MetadataImage, topic: string, partition: number): boolean {
  return image.topic(topic)?.partitions.has(partition) ?? false;
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
