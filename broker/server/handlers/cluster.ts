import { ErrorCode } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";
import { advertisedBrokers, controllerIdForClients } from "./advertised-brokers.ts";

const OPERATIONS_OMITTED = -2147483648;
/** DescribeCluster v1 endpoint types: 1 = brokers, 2 = controllers. */
const BROKER_ENDPOINTS = 1;

/** DescribeCluster: the cluster id, controller and live brokers. */
export function describeClusterHandler(services: BrokerServices): ApiHandler<60> {
  return async (req, ctx): Promise<ApiResponse<60>> => {
    const image = services.metadata();
    if (ctx.header.apiVersion >= 1 && req.endpointType !== BROKER_ENDPOINTS) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage: "only broker endpoints are served on this listener",
        endpointType: req.endpointType,
        clusterId: image.clusterId,
        controllerId: -1,
        brokers: [],
        clusterAuthorizedOperations: OPERATIONS_OMITTED,
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      endpointType: BROKER_ENDPOINTS,
      clusterId: image.clusterId,
      controllerId: controllerIdForClients(image, services.activeControllerId(), services.nodeId),
      brokers: advertisedBrokers(image, ctx.connection.listener).map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
      clusterAuthorizedOperations: OPERATIONS_OMITTED,
    };
  };
}

/** DescribeLogDirs: each log dir with the size of the requested partitions (null = all). */
export function describeLogDirsHandler(services: BrokerServices): ApiHandler<35> {
  return async (req): Promise<ApiResponse<35>> => {
    const wanted = req.topics === null ? null : new Map(req.topics.map((t) => [t.topic, new Set(t.partitions)]));
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      results: services.describeLogDirs().map((dir) => {
        const byTopic = new Map<string, { partitionIndex: number; partitionSize: bigint; offsetLag: bigint; isFutureKey: boolean }[]>();
        for (const p of dir.partitions) {
          if (wanted && !wanted.get(p.topic)?.has(p.partition)) continue;
          const list = byTopic.get(p.topic) ?? [];
          list.push({ partitionIndex: p.partition, partitionSize: BigInt(p.size), offsetLag: 0n, isFutureKey: false });
          byTopic.set(p.topic, list);
        }
        return {
          errorCode: 0,
          logDir: dir.path,
          topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
          totalBytes: BigInt(dir.totalBytes),
          usableBytes: BigInt(dir.usableBytes),
        };
      }),
    };
  };
}
