import { validateConfigValue } from "../config/config-types.ts";
import { topicConfigDef, validateTopicConfigs } from "../config/topic-config.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { type ApiError, type ControlContext, type ControllerResult, apiError, apiErrorOf, NO_ERROR } from "./controller-result.ts";
import { ConfigResourceType } from "./metadata-image.ts";
import { type MetadataRecord, metadataRecord } from "./metadata-record-serde.ts";
import { validateTopicName } from "./topic-names.ts";

/**
 * Config commands (Kafka's ConfigurationControlManager plus the request checks of its
 * ConfigAdminManager): AlterConfigs replaces a resource's whole override set,
 * IncrementalAlterConfigs edits keys one by one. Both validate the resulting set and emit
 * one ConfigRecord per changed key (value null = delete). Topic (2) and broker (4, name
 * "<id>" or "" for the cluster-wide default) resources are supported.
 */

/** IncrementalAlterConfigs operations (AlterConfigOp.OpType). */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface AlterConfigsResource {
  resourceType: number;
  resourceName: string;
  configs: readonly { name: string; value: string | null }[];
}

export interface IncrementalAlterConfigsResource {
  resourceType: number;
  resourceName: string;
  configs: readonly { name: string; configOperation: number; value: string | null }[];
}

export interface AlterConfigsCommand<R> {
  resources: readonly R[];
  validateOnly: boolean;
}

export interface AlterConfigsResourceResult extends ApiError {
  resourceType: number;
  resourceName: string;
}

function bad(code: (typeof ErrorCode)[keyof typeof ErrorCode], message: string): never {
  throw new KafkaError(code, message);
}

/** Request-level checks: one entry per resource, no duplicate keys, values where needed. */
function preprocess<R extends { resourceType: number; resourceName: string; configs: readonly { name: string }[] }>(
  resources: readonly R[],
  missingValue: (c: R["configs"][number]) => boolean,
): Map<R, ApiError> {
  const errors = new Map<R, ApiError>();
  const byKey = new Map<string, R>();
  for (const r of resources) {
    const key = `${r.resourceType}:${r.resourceName}`;
    const prev = byKey.get(key);
    if (prev) {
      for (const x of [prev, r]) errors.set(x, apiError(ErrorCode.INVALID_REQUEST, "Each resource must appear at most once."));
    }
    byKey.set(key, r);
  }
  for (const r of resources) {
    if (errors.has(r)) continue;
    try {
      const names = r.configs.map((c) => c.name);
      if (new Set(names).size !== names.length) bad(ErrorCode.INVALID_REQUEST, "Error due to duplicate config keys");
      const nulls = r.configs.filter(missingValue).map((c) => c.name);
      if (nulls.length > 0) bad(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nulls.join(", ")}`);
      if (r.resourceType !== ConfigResourceType.TOPIC && r.resourceType !== ConfigResourceType.BROKER) {
        bad(ErrorCode.INVALID_REQUEST, `Unknown resource type ${r.resourceType}`);
      }
    } catch (e) {
      errors.set(r, apiErrorOf(e));
    }
  }
  return errors;
}

/**
 * Validates a resource's full config set after a change (Kafka's validateAlterConfig):
 * the resource name, the values, then that the resource exists (skipped for a topic being
 * created in the same command).
 */
function validateResource(ctx: ControlContext, type: number, name: string, all: ReadonlyMap<string, string>): void {
  if (type === ConfigResourceType.TOPIC) {
    if (name === "") bad(ErrorCode.INVALID_REQUEST, "Default topic resources are not allowed.");
    validateTopicName(name);
    validateTopicConfigs(all);
    if (!ctx.image.topicsByName.has(name)) {
      bad(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    }
    return;
  }
  // Broker: "" (cluster default) or a node id. Values of known broker configs are checked
  // by type; other keys pass through, as Kafka keeps unknown (custom) broker configs.
  if (name !== "" && !/^-?\d+$/.test(name)) bad(ErrorCode.INVALID_REQUEST, `Invalid broker name ${name}`);
  for (const [key, value] of all) {
    const def = ctx.config.describeBrokerConfig(key)?.def;
    if (def) validateConfigValue(def, value);
  }
  if (name !== "") {
    const id = Number(name);
    if (!ctx.image.brokers.has(id) && id !== ctx.nodeId) bad(ErrorCode.BROKER_ID_NOT_REGISTERED, `No node with id ${id} found.`);
  }
}

function configRecord(type: number, resourceName: string, name: string, value: string | null): MetadataRecord {
  return metadataRecord("ConfigRecord", { resourceType: type, resourceName, name, value });
}

/** List parts of a value, starting from the config's default when it has no override. */
function listParts(type: number, name: string, value: string | undefined): string[] {
  const v = value ?? (type === ConfigResourceType.TOPIC ? (topicConfigDef(name)?.default ?? null) : null);
  return v === null ? [] : v.split(",").filter((s) => s !== "");
}

function isListConfig(ctx: ControlContext, type: number, name: string): boolean {
  const def = type === ConfigResourceType.TOPIC ? topicConfigDef(name) : ctx.config.describeBrokerConfig(name)?.def;
  return def?.type === "LIST";
}

export function incrementalAlterConfigs(
  ctx: ControlContext,
  cmd: AlterConfigsCommand<IncrementalAlterConfigsResource>,
): ControllerResult<AlterConfigsResourceResult[]> {
  const errors = preprocess(cmd.resources, (c) => c.configOperation !== AlterConfigOp.DELETE && c.value === null);
  const records: MetadataRecord[] = [];
  const response = cmd.resources.map((r): AlterConfigsResourceResult => {
    const result = { resourceType: r.resourceType, resourceName: r.resourceName };
    const early = errors.get(r);
    if (early) return { ...result, ...early };
    try {
      const current = ctx.image.resourceConfigs(r.resourceType, r.resourceName);
      const all = new Map(current);
      const changes: MetadataRecord[] = [];
      for (const c of r.configs) {
        const before = current.get(c.name);
        let after: string | undefined;
        switch (c.configOperation) {
          case AlterConfigOp.SET:
            after = c.value!;
            break;
          case AlterConfigOp.DELETE:
            after = undefined;
            break;
          case AlterConfigOp.APPEND:
          case AlterConfigOp.SUBTRACT: {
            const op = c.configOperation === AlterConfigOp.APPEND ? "APPEND" : "SUBTRACT";
            if (!isListConfig(ctx, r.resourceType, c.name)) {
              bad(ErrorCode.INVALID_CONFIG, `Can't ${op} to key ${c.name} because its type is not LIST.`);
            }
            let parts = listParts(r.resourceType, c.name, before);
            const items = c.value!.split(",");
            if (op === "APPEND") {
              for (const v of items) if (!parts.includes(v)) parts.push(v);
            } else parts = parts.filter((p) => !items.includes(p));
            after = parts.join(",");
            break;
          }
          default:
            bad(ErrorCode.INVALID_REQUEST, `Unknown operation type ${c.configOperation}`);
        }
        if (after === undefined) all.delete(c.name);
        else all.set(c.name, after);
        // Broker configs are written even when unchanged, so brokers re-apply them.
        if (before !== after || r.resourceType === ConfigResourceType.BROKER) {
          changes.push(configRecord(r.resourceType, r.resourceName, c.name, after ?? null));
        }
      }
      validateResource(ctx, r.resourceType, r.resourceName, all);
      records.push(...changes);
      return { ...result, ...NO_ERROR };
    } catch (e) {
      return { ...result, ...apiErrorOf(e) };
    }
  });
  return { records: cmd.validateOnly ? [] : records, response };
}

export function alterConfigs(ctx: ControlContext, cmd: AlterConfigsCommand<AlterConfigsResource>): ControllerResult<AlterConfigsResourceResult[]> {
  const errors = preprocess(cmd.resources, (c) => c.value === null);
  const records: MetadataRecord[] = [];
  const response = cmd.resources.map((r): AlterConfigsResourceResult => {
    const result = { resourceType: r.resourceType, resourceName: r.resourceName };
    const early = errors.get(r);
    if (early) return { ...result, ...early };
    try {
      const current = ctx.image.resourceConfigs(r.resourceType, r.resourceName);
      const wanted = new Map(r.configs.map((c) => [c.name, c.value!]));
      const changes: MetadataRecord[] = [];
      for (const [name, value] of wanted) {
        if (current.get(name) !== value || r.resourceType === ConfigResourceType.BROKER) {
          changes.push(configRecord(r.resourceType, r.resourceName, name, value));
        }
      }
      // Keys not in the request are deleted: the request is the resource's whole set.
      for (const name of current.keys()) {
        if (!wanted.has(name)) changes.push(configRecord(r.resourceType, r.resourceName, name, null));
      }
      validateResource(ctx, r.resourceType, r.resourceName, wanted);
      records.push(...changes);
      return { ...result, ...NO_ERROR };
    } catch (e) {
      return { ...result, ...apiErrorOf(e) };
    }
  });
  return { records: cmd.validateOnly ? [] : records, response };
}
