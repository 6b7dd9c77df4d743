import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { ApiVersionRange } from "../../protocol/headers.ts";
import { METADATA_VERSION_FEATURE, MAX_SUPPORTED_METADATA_VERSION, MIN_SUPPORTED_METADATA_VERSION } from "../../controller/metadata-version.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

/** ApiVersions: the advertised ranges, plus (v3+) supported and finalized feature levels. */
export function apiVersionsHandler(services: BrokerServices, advertised: () => readonly ApiVersionRange[]): ApiHandler<18> {
  return async (): Promise<ApiResponse<18>> => {
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
