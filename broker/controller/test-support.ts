import { BOOTSTRAP_METADATA_VERSION } from "./metadata-version.ts";
import { randomUuid } from "./uuid.ts";

/** A broker registration for controller tests (a new incarnation unless one is given). */
export const testRegistration = (incarnationId = randomUuid()) => ({
  incarnationId,
  listeners: [{ name: "PLAINTEXT", host: "localhost", port: 9092, securityProtocol: 0 }],
  rack: null,
  features: [{ name: "metadata.version", minSupportedVersion: 1, maxSupportedVersion: BOOTSTRAP_METADATA_VERSION }],
  logDirs: [randomUuid()],
});
