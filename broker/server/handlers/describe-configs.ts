import { ConfigSource, ConfigType } from "../../config/config-types.ts";
import type { ConfigEntry } from "../../config/broker-config.ts";
import { TOPIC_CONFIGS } from "../../config/topic-config.ts";
import { ConfigResourceType } from "../../controller/metadata-image.ts";
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { DescribeConfigsResponseDescribeConfigsResourceResult as ResultEntry } from "../../protocol/generated/message/DescribeConfigsResponse.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler, RequestContext } from "../request-dispatcher.ts";
import { brokerResourceName } from "./config-resources.ts";

/** Broker configs that only change with a restart (Kafka reports them read-only). */
const STATIC_BROKER_CONFIGS = new Set([
  "node.id", "broker.id", "process.roles", "listeners", "advertised.listeners", "log.dirs", "log.dir", "metadata.log.dir",
  "controller.quorum.voters", "controller.listener.names", "inter.broker.listener.name", "listener.security.protocol.map", "broker.rack",
]);

/**
 * DescribeConfigs for topics and brokers: every value with its source and, when asked, the
 * synonyms it was resolved through (topic override, dynamic broker, static broker, default).
 */
export function describeConfigsHandler(services: BrokerServices): ApiHandler<32> {
  return async (req, ctx): Promise<ApiResponse<32>> => ({
    throttleTimeMs: 0,
    results: req.resources.map((res) => {
      const base = { resourceType: res.resourceType, resourceName: res.resourceName };
      try {
        const entries = describe(services, res.resourceType, res.resourceName);
        const keys = res.configurationKeys;
        const selected = keys === null || keys.length === 0 ? entries : entries.filter((e) => keys.includes(e.name));
        // Kafka leaves the message at its schema default, "" (not null), on success.
        return { ...base, errorCode: 0, errorMessage: "", configs: selected.map((e) => toResult(e, req.includeSynonyms, ctx)) };
      } catch (err) {
        const e = err instanceof KafkaError ? err : new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, String(err));
        // Kafka's broker answers an unknown topic with the code alone (message "").
        return { ...base, errorCode: e.code, errorMessage: e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? "" : e.message, configs: [] };
      }
    }),
  });
}

function describe(services: BrokerServices, type: number, name: string): ConfigEntry[] {
  const image = services.metadata();
  if (type === ConfigResourceType.TOPIC) {
    if (!image.topic(name)) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist`);
    const overrides = image.topicConfigs(name);
    return TOPIC_CONFIGS.map((def) => services.config.describeTopicConfig(def, overrides));
  }
  if (type === ConfigResourceType.BROKER) {
    if (brokerResourceName(services.nodeId, name) === "") return clusterDefaults(services);
    return services.config.brokerConfigNames().flatMap((n) => services.config.describeBrokerConfig(n) ?? []);
  }
  throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${type}`);
}

/**
 * The cluster-wide default broker resource (""): Kafka describes only the dynamic defaults set
 * on it, each with that one source, not this node's resolved configs (kafka-configs
 * --entity-default --describe lists them whatever this node overrides).
 */
function clusterDefaults(services: BrokerServices): ConfigEntry[] {
  return [...services.metadata().brokerConfigs("")].flatMap(([name, value]) => {
    const def = services.config.describeBrokerConfig(name)?.def;
    if (!def) return [];
    const source = ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG;
    return [{ name, value, source, synonyms: [{ name, value, source }], def }];
  });
}

function toResult(e: ConfigEntry, includeSynonyms: boolean, ctx: RequestContext): ResultEntry {
  const sensitive = e.def.sensitive === true || e.def.type === "PASSWORD";
  return {
    name: e.name,
    value: sensitive ? null : e.value,
    readOnly: STATIC_BROKER_CONFIGS.has(e.name),
    isDefault: e.source === ConfigSource.DEFAULT_CONFIG,
    // v0 had no sources: it reported only whether a value was a default.
    configSource: ctx.header.apiVersion === 0 ? ConfigSource.UNKNOWN : e.source,
    isSensitive: sensitive,
    synonyms: includeSynonyms ? e.synonyms.map((s) => ({ name: s.name, value: sensitive ? null : s.value, source: s.source })) : [],
    configType: ConfigType[e.def.type],
    // Samsa keeps no config documentation text.
    documentation: null,
  };
}
