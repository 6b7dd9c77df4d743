import type { ApiVersionRange } from "../protocol/headers.ts";
import type { BrokerServices } from "./broker-services.ts";
import type { ProducerIdManager } from "./producer-id-manager.ts";
import type { ServedApis } from "./request-dispatcher.ts";
import { alterConfigsHandler, incrementalAlterConfigsHandler } from "./handlers/alter-configs.ts";
import { apiVersionsHandler } from "./handlers/api-versions.ts";
import { describeClusterHandler, describeLogDirsHandler } from "./handlers/cluster.ts";
import { deleteRecordsHandler } from "./handlers/delete-records.ts";
import { describeConfigsHandler } from "./handlers/describe-configs.ts";
import { describeTopicPartitionsHandler } from "./handlers/describe-topic-partitions.ts";
import { electLeadersHandler } from "./handlers/elect-leaders.ts";
import { fetchHandler } from "./handlers/fetch.ts";
import { findCoordinatorHandler } from "./handlers/find-coordinator.ts";
import {
  deleteGroupsHandler,
  describeGroupsHandler,
  heartbeatHandler,
  joinGroupHandler,
  leaveGroupHandler,
  listGroupsHandler,
  syncGroupHandler,
} from "./handlers/groups.ts";
import { initProducerIdHandler } from "./handlers/init-producer-id.ts";
import { listOffsetsHandler } from "./handlers/list-offsets.ts";
import { metadataHandler } from "./handlers/metadata.ts";
import { offsetCommitHandler } from "./handlers/offset-commit.ts";
import { offsetDeleteHandler } from "./handlers/offset-delete.ts";
import { offsetFetchHandler } from "./handlers/offset-fetch.ts";
import { offsetForLeaderEpochHandler } from "./handlers/offset-for-leader-epoch.ts";
import { produceHandler } from "./handlers/produce.ts";
import { createPartitionsHandler, createTopicsHandler, deleteTopicsHandler } from "./handlers/topics.ts";
import { alterPartitionHandler } from "./handlers/alter-partition.ts";
import { alterPartitionReassignmentsHandler, listPartitionReassignmentsHandler } from "./handlers/reassignments.ts";
import { allocateProducerIdsHandler, brokerHeartbeatHandler, brokerRegistrationHandler } from "./handlers/broker-to-controller.ts";

/**
 * The APIs this node serves and the versions it advertises: Kafka 3.9's ranges, except
 * Produce below v3 and Fetch below v4, which need the retired message formats (magic 0/1).
 * Like Kafka 4 (KAFKA-18659), Produce is still advertised from v0: librdkafka before 2.10
 * infers gzip and snappy support from Produce v2 and would otherwise send uncompressed
 * batches. A Produce request below v3 is refused like any unsupported version.
 */
export function servedApis(services: BrokerServices, producerIds: ProducerIdManager, advertised: () => readonly ApiVersionRange[]): ServedApis {
  return {
    0: { minVersion: 3, maxVersion: 11, advertisedMinVersion: 0, handle: produceHandler(services) },
    1: { minVersion: 4, maxVersion: 17, handle: fetchHandler(services) },
    2: { minVersion: 0, maxVersion: 9, handle: listOffsetsHandler(services) },
    3: { minVersion: 0, maxVersion: 12, handle: metadataHandler(services) },
    8: { minVersion: 0, maxVersion: 9, handle: offsetCommitHandler(services) },
    9: { minVersion: 0, maxVersion: 9, handle: offsetFetchHandler(services) },
    10: { minVersion: 0, maxVersion: 6, handle: findCoordinatorHandler(services) },
    11: { minVersion: 0, maxVersion: 9, handle: joinGroupHandler(services) },
    12: { minVersion: 0, maxVersion: 4, handle: heartbeatHandler(services) },
    13: { minVersion: 0, maxVersion: 5, handle: leaveGroupHandler(services) },
    14: { minVersion: 0, maxVersion: 5, handle: syncGroupHandler(services) },
    15: { minVersion: 0, maxVersion: 5, handle: describeGroupsHandler(services) },
    16: { minVersion: 0, maxVersion: 5, handle: listGroupsHandler(services) },
    18: { minVersion: 0, maxVersion: 4, handle: apiVersionsHandler(services, advertised) },
    19: { minVersion: 0, maxVersion: 7, handle: createTopicsHandler(services) },
    20: { minVersion: 0, maxVersion: 6, handle: deleteTopicsHandler(services) },
    21: { minVersion: 0, maxVersion: 2, handle: deleteRecordsHandler(services) },
    22: { minVersion: 0, maxVersion: 5, handle: initProducerIdHandler(producerIds) },
    23: { minVersion: 0, maxVersion: 4, handle: offsetForLeaderEpochHandler(services) },
    32: { minVersion: 0, maxVersion: 4, handle: describeConfigsHandler(services) },
    33: { minVersion: 0, maxVersion: 2, handle: alterConfigsHandler(services) },
    35: { minVersion: 0, maxVersion: 4, handle: describeLogDirsHandler(services) },
    37: { minVersion: 0, maxVersion: 3, handle: createPartitionsHandler(services) },
    42: { minVersion: 0, maxVersion: 2, handle: deleteGroupsHandler(services) },
    43: { minVersion: 0, maxVersion: 2, handle: electLeadersHandler(services) },
    44: { minVersion: 0, maxVersion: 1, handle: incrementalAlterConfigsHandler(services) },
    45: { minVersion: 0, maxVersion: 0, handle: alterPartitionReassignmentsHandler(services) },
    46: { minVersion: 0, maxVersion: 0, handle: listPartitionReassignmentsHandler(services) },
    47: { minVersion: 0, maxVersion: 0, handle: offsetDeleteHandler(services) },
    60: { minVersion: 0, maxVersion: 1, handle: describeClusterHandler(services) },
    75: { minVersion: 0, maxVersion: 0, handle: describeTopicPartitionsHandler(services) },
    ...(services.isController
      ? {
          56: { minVersion: 0, maxVersion: 3, handle: alterPartitionHandler(services) },
          62: { minVersion: 0, maxVersion: 4, handle: brokerRegistrationHandler(services) },
          63: { minVersion: 0, maxVersion: 1, handle: brokerHeartbeatHandler(services) },
          67: { minVersion: 0, maxVersion: 0, handle: allocateProducerIdsHandler(services) },
        }
      : {}),
  };
}
