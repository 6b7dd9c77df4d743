import { errorCodeOf } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

/**
 * The APIs broker-only nodes send the controller (served on the controller node only):
 * BrokerRegistration at every start, BrokerHeartbeat every broker.heartbeat.interval.ms,
 * AllocateProducerIds for InitProducerId. Each is one controller command.
 */
export function brokerRegistrationHandler(services: BrokerServices): ApiHandler<62> {
  return async (req): Promise<ApiResponse<62>> => {
    try {
      const { brokerEpoch } = await services.controller.registerBroker({
        brokerId: req.brokerId,
        clusterId: req.clusterId,
        incarnationId: req.incarnationId,
        listeners: req.listeners,
        rack: req.rack,
        features: req.features,
        logDirs: req.logDirs,
      });
      return { throttleTimeMs: 0, errorCode: 0, brokerEpoch };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: errorCodeOf(err), brokerEpoch: -1n };
    }
  };
}

export function brokerHeartbeatHandler(services: BrokerServices): ApiHandler<63> {
  return async (req): Promise<ApiResponse<63>> => {
    try {
      const reply = await services.controller.brokerHeartbeat(req);
      return { throttleTimeMs: 0, errorCode: 0, ...reply };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: errorCodeOf(err), isCaughtUp: false, isFenced: true, shouldShutDown: false };
    }
  };
}

export function allocateProducerIdsHandler(services: BrokerServices): ApiHandler<67> {
  return async (req): Promise<ApiResponse<67>> => {
    try {
      const block = await services.controller.allocateProducerIds(req.brokerId, req.brokerEpoch);
      return { throttleTimeMs: 0, errorCode: 0, producerIdStart: block.producerIdStart, producerIdLen: block.producerIdLen };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: errorCodeOf(err), producerIdStart: -1n, producerIdLen: 0 };
    }
  };
}
