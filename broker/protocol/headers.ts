/**
 * Request and response headers, response framing, and the KIP-511 ApiVersions fallback.
 *
 * Which header version a message uses is not on the wire: it follows from the API key and
 * version (Kafka's ApiMessageType.requestHeaderVersion/responseHeaderVersion). A request
 * header is v2 in flexible versions, else v1, except ControlledShutdown v0 (header v0). A
 * response header is v1 in flexible versions, else v0, except ApiVersions: always v0, so a
 * client can read the error of a version it guessed too high.
 */
import { ErrorCode, KafkaError } from "./errors.ts";
import { APIS, ApiKey, apiInfo, type ApiKeyValue, type ApiRequest, type ApiResponse } from "./generated/apis.ts";
import { encodeApiVersionsResponse } from "./generated/message/ApiVersionsResponse.ts";
import { decodeRequestHeader as decodeRequestHeaderData } from "./generated/message/RequestHeader.ts";
import { encodeResponseHeader as encodeResponseHeaderData } from "./generated/message/ResponseHeader.ts";
import { ProtocolDecodeError, Reader } from "./primitives/reader.ts";
import { Writer } from "./primitives/writer.ts";

export interface RequestHeaderInfo {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** Null when the client sent a null client id; "" in header v0, which has none. */
  clientId: string | null;
  headerVersion: number;
}

function knownApi(apiKey: number) {
  const info = apiInfo(apiKey);
  if (!info) throw new KafkaError(ErrorCode.INVALID_REQUEST, `unknown api key ${apiKey}`);
  return info;
}

function isFlexible(apiKey: number, apiVersion: number): boolean {
  const from = knownApi(apiKey).flexibleFrom;
  return from !== null && apiVersion >= from;
}

/** Request header version for an API version. Throws INVALID_REQUEST for an unknown key. */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return 0;
  return isFlexible(apiKey, apiVersion) ? 2 : 1;
}

/** Response header version for an API version. Throws INVALID_REQUEST for an unknown key. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  return isFlexible(apiKey, apiVersion) ? 1 : 0;
}

/**
 * Reads a request header from a frame (the bytes after the 4-byte size). The api key and
 * version come first in every header version, so they are peeked to choose it. The client id
 * stays a classic nullable string even in header v2, which then adds a tagged-field section.
 * The reader is left at the start of the body.
 */
export function decodeRequestHeader(r: Reader): RequestHeaderInfo {
  if (r.remaining() < 4) throw new ProtocolDecodeError(`request header needs 4 bytes, have ${r.remaining()}`);
  const apiKey = r.buf.readInt16BE(r.offset);
  const apiVersion = r.buf.readInt16BE(r.offset + 2);
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const h = decodeRequestHeaderData(r, headerVersion);
  return { apiKey, apiVersion, correlationId: h.correlationId, clientId: h.clientId, headerVersion };
}

export function encodeResponseHeader(w: Writer, correlationId: number, headerVersion: number): void {
  encodeResponseHeaderData(w, { correlationId }, headerVersion);
}

/** A full response frame: 4-byte size, the response header for this API version, the body. */
export function encodeResponseFrame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer): Buffer {
  const w = new Writer(body.length + 16);
  const at = w.reserveInt32();
  encodeResponseHeader(w, correlationId, responseHeaderVersion(apiKey, apiVersion));
  w.raw(body);
  w.patchInt32(at, w.offset - 4);
  return w.finish();
}

/**
 * Encodes a typed response straight into a full frame (no intermediate body buffer), as
 * buffers to send in order: large records fields are the caller's buffers, not copies.
 */
export function encodeResponseChunks<K extends ApiKeyValue>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  response: ApiResponse<K>,
): Buffer[] {
  const api = APIS[apiKey];
  const w = new Writer(256);
  const at = w.reserveInt32();
  encodeResponseHeader(w, correlationId, responseHeaderVersion(apiKey, apiVersion));
  api.response.encode(w, response, apiVersion);
  w.patchInt32(at, w.offset - 4);
  return w.chunks();
}

/** encodeResponseChunks as one buffer. */
export function encodeResponse<K extends ApiKeyValue>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  response: ApiResponse<K>,
): Buffer {
  const chunks = encodeResponseChunks(apiKey, apiVersion, correlationId, response);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** A decoded request; `switch (req.apiKey)` narrows `body` to that API's request type. */
export type DecodedRequest = {
  [K in ApiKeyValue]: { apiKey: K; header: RequestHeaderInfo; body: ApiRequest<K> };
}[ApiKeyValue];

/**
 * Decodes a request frame (without its size prefix): header, then body. Throws KafkaError
 * INVALID_REQUEST for an unknown api key and UNSUPPORTED_VERSION for a version outside the
 * schema's range; check apiVersionsFallback first so a too-new ApiVersions gets its answer.
 */
export function decodeRequest(frame: Buffer): DecodedRequest {
  const r = new Reader(frame);
  const header = decodeRequestHeader(r);
  const body = knownApi(header.apiKey).request.decode(r, header.apiVersion);
  return { apiKey: header.apiKey, header, body } as DecodedRequest;
}

export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/**
 * KIP-511: a client may open with an ApiVersions request newer than the broker knows. The
 * broker must not parse its body; it answers with an ApiVersionsResponse v0 (header v0)
 * carrying UNSUPPORTED_VERSION and the api key ranges, so the client can retry with a version
 * both sides support. Kafka itself lists only its ApiVersions range here; the caller decides.
 *
 * Returns that full response frame when `header` is such a request (its version is above the
 * ApiVersions range in `advertised`, or above the schema's when it is not listed), else null.
 */
export function apiVersionsFallback(
  header: Pick<RequestHeaderInfo, "apiKey" | "apiVersion" | "correlationId">,
  advertised: readonly ApiVersionRange[],
): Buffer | null {
  if (header.apiKey !== ApiKey.ApiVersions) return null;
  const own = advertised.find((a) => a.apiKey === ApiKey.ApiVersions);
  const max = own ? own.maxVersion : APIS[ApiKey.ApiVersions].maxVersion;
  if (header.apiVersion <= max) return null;
  return encodeResponseFrame(ApiKey.ApiVersions, 0, header.correlationId, encodeApiVersionsFallbackBody(advertised));
}

/** The ApiVersionsResponse v0 body of the KIP-511 fallback: UNSUPPORTED_VERSION + ranges. */
export function encodeApiVersionsFallbackBody(advertised: readonly ApiVersionRange[]): Buffer {
  const w = new Writer(8 + advertised.length * 6);
  encodeApiVersionsResponse(
    w,
    {
      errorCode: ErrorCode.UNSUPPORTED_VERSION,
      apiKeys: advertised.map((a) => ({ apiKey: a.apiKey, minVersion: a.minVersion, maxVersion: a.maxVersion })),
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    },
    0,
  );
  return w.finish();
}
