import type { BrokerConfig } from "../config/broker-config.ts";
import { errorName, KafkaError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { MetadataImage } from "./metadata-image.ts";
import type { MetadataRecord } from "./metadata-record-serde.ts";

/**
 * What a control manager decides for one command (Kafka's ControllerResult): the records
 * to commit, all or nothing, and the reply to give once they are committed.
 */
export interface ControllerResult<T> {
  records: MetadataRecord[];
  response: T;
}

/** Everything a control manager may read while deciding; it never writes. */
export interface ControlContext {
  image: MetadataImage;
  /** This controller's node id (counts as a known node for broker configs). */
  nodeId: number;
  config: BrokerConfig;
  /** Placement randomness (seedable in tests). */
  random: () => number;
  /** New topic ids. */
  newUuid: () => string;
  /** The offset the first record of this command will get (broker epochs come from it). */
  nextOffset: bigint;
}

/** An error code and message for one item of a reply (Kafka's ApiError). */
export interface ApiError {
  errorCode: number;
  /** null where Kafka sends none (the client shows the code's default text). */
  errorMessage: string | null;
}

export const NO_ERROR: ApiError = { errorCode: ErrorCode.NONE, errorMessage: null };

export function apiError(code: number, message: string | null = null): ApiError {
  return { errorCode: code, errorMessage: message };
}

/** A thrown KafkaError becomes its code and message; anything else is a server error. */
export function apiErrorOf(e: unknown): ApiError {
  if (e instanceof KafkaError) {
    return { errorCode: e.code, errorMessage: e.message === errorName(e.code) ? null : e.message };
  }
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: e instanceof Error ? e.message : String(e) };
}
