import { ErrorCode } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import { defaultApiVersionsResponse } from "../../protocol/generated/message/ApiVersionsResponse.ts";
import type { ApiVersionRange } from "../../protocol/headers.ts";
import { METADATA_VERSION_FEATURE, MAX_SUPPORTED_METADATA_VERSION, MIN_SUPPORTED_METADATA_VERSION } from "../../controller/metadata-version.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

/** KIP-511: client software names and versions Kafka accepts (ApiVersionsRequest.isValid). */
const SOFTWARE_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

/** ApiVersions: the advertised ranges, plus (v3+) supported and finalized feature levels. */
export function apiVersionsHandler(services: BrokerServices, advertised: () => readonly ApiVersionRange[]): ApiHandler<18> {
  return async (req, ctx): Promise<ApiResponse<18>> => {
    if (ctx.header.apiVersion >= 3 && !(SOFTWARE_NAME.test(req.clientSoftwareName) && SOFTWARE_NAME.test(req.clientSoftwareVersion))) {
      return { ...defaultApiVersionsResponse(), errorCode: ErrorCode.INVALID_REQUEST };
    }
    const image = services.metadata();
    const level = image.metadataVersion();
    return {
      errorCode: 0,
      apiKeys: advertised().map((a) => ({ ...a })),
      throttleTimeMs: 0,
      supportedFeatures: [{ name: METADATA_VERSION_FEATURE, minVersion: MIN_SUPPORTED_METADATA_VERSION, maxVersion: MAX_SUPPORTED_METADATA_VERSION }],
      finalizedFeaturesEpoch: image.provenance.lastOffset,
      finalizedFeatures: level === undefined ? [] : [{ name: METADATA_VERSION_FEATURE, maxVersionLevel: level, minVersionLevel: level }],
      zkMigrationReady: false,
    };
  };
}
