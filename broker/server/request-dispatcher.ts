import { APIS, type ApiKeyValue, type ApiRequest, type ApiResponse } from "../protocol/generated/apis.ts";
import { apiVersionsFallback, decodeRequest, encodeResponseChunks, type ApiVersionRange, type RequestHeaderInfo } from "../protocol/headers.ts";
import { CloseConnection, type ConnectionInfo, type RequestHandler, type ResponseFrame } from "../network/connection.ts";

export interface RequestContext {
  header: RequestHeaderInfo;
  connection: ConnectionInfo;
}

/** Handles one API; resolves null when no response is sent (produce with acks=0). */
export type ApiHandler<K extends ApiKeyValue> = (request: ApiRequest<K>, ctx: RequestContext) => Promise<ApiResponse<K> | null>;

export interface ServedApi<K extends ApiKeyValue> {
  minVersion: number;
  maxVersion: number;
  /** A lower minimum to advertise than to accept (Kafka's KAFKA-18659 workaround for Produce). */
  advertisedMinVersion?: number;
  handle: ApiHandler<K>;
}

export type ServedApis = { [K in ApiKeyValue]?: ServedApi<K> };

/**
 * Turns request frames into handler calls and handler results into response frames, with
 * Kafka's answers to bad input: a too-new ApiVersions gets the KIP-511 v0 error response;
 * an unknown API key, an unsupported version or an unparseable body closes the connection
 * (Kafka cannot build a response it is sure the client can read).
 */
export class RequestDispatcher implements RequestHandler {
  readonly advertised: readonly ApiVersionRange[];

  constructor(private readonly served: ServedApis) {
    this.advertised = (Object.keys(served) as unknown as string[])
      .map(Number)
      .sort((a, b) => a - b)
      .map((apiKey) => {
        const api = served[apiKey as ApiKeyValue]!;
        return { apiKey, minVersion: api.advertisedMinVersion ?? api.minVersion, maxVersion: api.maxVersion };
      });
  }

  async handle(frame: Buffer, connection: ConnectionInfo): Promise<ResponseFrame | null> {
    if (frame.length < 8) throw new CloseConnection(`request of ${frame.length} bytes is shorter than a request header`);
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const fallback = apiVersionsFallback({ apiKey, apiVersion, correlationId }, this.advertised);
    if (fallback) return fallback;
    const api = this.served[apiKey as ApiKeyValue] as ServedApi<ApiKeyValue> | undefined;
    if (!api) throw new CloseConnection(`unsupported API key ${apiKey}`);
    if (apiVersion < api.minVersion || apiVersion > api.maxVersion) {
      throw new CloseConnection(`unsupported version ${apiVersion} of ${APIS[apiKey as ApiKeyValue].name} (supported ${api.minVersion}-${api.maxVersion})`);
    }
    let decoded: ReturnType<typeof decodeRequest>;
    try {
      decoded = decodeRequest(frame);
    } catch (err) {
      throw new CloseConnection(`malformed ${APIS[apiKey as ApiKeyValue].name} v${apiVersion} request: ${(err as Error).message}`);
    }
    const ctx: RequestContext = { header: decoded.header, connection };
    const response = await (api.handle as ApiHandler<ApiKeyValue>)(decoded.body, ctx);
    if (response === null) return null;
    return encodeResponseChunks(apiKey as ApiKeyValue, apiVersion, correlationId, response);
  }
}
