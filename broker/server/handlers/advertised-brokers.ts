import type { MetadataImage } from "../../controller/metadata-image.ts";

export interface AdvertisedBroker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/**
 * Live brokers with their endpoint on the listener the client connected through (Kafka
 * answers with the same listener name so clients stay on one network).
 */
export function advertisedBrokers(image: MetadataImage, listener: string): AdvertisedBroker[] {
  const out: AdvertisedBroker[] = [];
  for (const b of image.brokers.values()) {
    if (b.fenced) continue;
    const ep = b.listeners.find((l) => l.name === listener) ?? b.listeners[0];
    if (ep) out.push({ nodeId: b.id, host: ep.host, port: ep.port, rack: b.rack });
  }
  return out.sort((a, b) => a.nodeId - b.nodeId);
}

/**
 * The controller id clients are told (Metadata, DescribeCluster): the active controller
 * when it is also a live broker, so admin requests go straight to it and every node names
 * the same one; otherwise this node, which forwards them (Kafka's KRaft brokers name a live
 * broker too, since clients cannot reach controller listeners).
 */
export function controllerIdForClients(image: MetadataImage, activeController: number | null, self: number): number {
  return activeController !== null && image.isActiveBroker(activeController) ? activeController : self;
}
