import { ErrorCode, KafkaError } from "../../protocol/errors.ts";

/**
 * A broker config resource names this node ("0") or the cluster-wide default (""); Kafka
 * refuses any other broker id on this node with INVALID_REQUEST.
 */
export function brokerResourceName(nodeId: number, name: string): number | "" {
  if (name === "") return "";
  if (name === String(nodeId)) return nodeId;
  throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${nodeId} or empty string, but received ${name}`);
}
