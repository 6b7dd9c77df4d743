import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { AlterConfigsResourceResult } from "../../controller/configuration-control.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

const respond = (results: AlterConfigsResourceResult[]) => ({
  throttleTimeMs: 0,
  responses: results.map((r) => ({ errorCode: r.errorCode, errorMessage: r.errorMessage, resourceType: r.resourceType, resourceName: r.resourceName })),
});

/** AlterConfigs (legacy): replaces a resource's whole set of overrides. */
export function alterConfigsHandler(services: BrokerServices): ApiHandler<33> {
  return async (req): Promise<ApiResponse<33>> => respond(await services.controller.alterConfigs({ resources: req.resources, validateOnly: req.validateOnly }));
}

/** IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT single configs. */
export function incrementalAlterConfigsHandler(services: BrokerServices): ApiHandler<44> {
  return async (req): Promise<ApiResponse<44>> =>
    respond(await services.controller.incrementalAlterConfigs({ resources: req.resources, validateOnly: req.validateOnly }));
}
