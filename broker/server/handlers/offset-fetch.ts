import { ErrorCode } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { OffsetFetchResponsePartition } from "../../protocol/generated/message/OffsetFetchResponse.ts";
import type { FetchedOffset } from "../../coordinator/group-metadata-manager.ts";
import type { TopicPartition } from "../../coordinator/offset-and-metadata.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

interface GroupRequest {
  groupId: string;
  /** null: every partition the group has an offset for. */
  topics: { name: string; partitionIndexes: number[] }[] | null;
}

/**
 * OffsetFetch: one group in v0-7 (top-level error from v2; before that the error goes on
 * every requested partition), several in v8+. A null topic list (v2+) asks for all of the
 * group's offsets; a partition without a commit answers -1. require_stable (v7+) changes
 * nothing: without transactions no offset is ever pending a transaction marker.
 */
export function offsetFetchHandler(services: BrokerServices): ApiHandler<9> {
  return async (req, ctx): Promise<ApiResponse<9>> => {
    const version = ctx.header.apiVersion;
    const fetch = (g: GroupRequest): { error: number; offsets: FetchedOffset[] } => {
      const partitions: TopicPartition[] | null = g.topics === null ? null : g.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
      return services.groupCoordinator.fetchOffsets(g.groupId, partitions);
    };
    if (version >= 8) {
      return {
        throttleTimeMs: 0,
        topics: [],
        errorCode: 0,
        groups: req.groups.map((g) => {
          const { error, offsets } = fetch(g);
          return { groupId: g.groupId, errorCode: error, topics: byTopic(offsets) };
        }),
      };
    }
    const { error, offsets } = fetch({ groupId: req.groupId, topics: req.topics });
    if (error !== ErrorCode.NONE && version < 2) {
      const failed = (req.topics ?? []).flatMap((t) => t.partitionIndexes.map((partition): FetchedOffset => ({ topic: t.name, partition, offset: -1n, leaderEpoch: -1, metadata: "", error })));
      return { throttleTimeMs: 0, topics: byTopic(failed), errorCode: error, groups: [] };
    }
    return { throttleTimeMs: 0, topics: byTopic(offsets), errorCode: error, groups: [] };
  };
}

function byTopic(offsets: readonly FetchedOffset[]): { name: string; partitions: OffsetFetchResponsePartition[] }[] {
  const topics = new Map<string, OffsetFetchResponsePartition[]>();
  for (const o of offsets) {
    let parts = topics.get(o.topic);
    if (!parts) topics.set(o.topic, (parts = []));
    parts.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: o.error });
  }
  return [...topics].map(([name, partitions]) => ({ name, partitions }));
}
