import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseProperties } from "../config/properties.ts";
import { writeFileAtomic } from "./atomic-file.ts";
import { randomUuid, uuidFromString } from "./uuid.ts";

/**
 * Kafka's `meta.properties`: the identity stamped on every log directory (KRaft version 1).
 * It ties a directory to one cluster and one node, so a disk moved to the wrong node, or a
 * node pointed at another cluster's data, refuses to start instead of mixing histories.
 * Kafka formats directories with `kafka-storage format`; Samsa formats them itself on
 * first start and verifies them on every later one.
 */
export interface MetaProperties {
  version: 1;
  clusterId: string;
  nodeId: number;
  /** This directory's own id (KIP-858), unique across the node's directories. */
  directoryId: string;
}

export const META_PROPERTIES_FILE = "meta.properties";

export class MetaPropertiesError extends Error {
  override readonly name = "MetaPropertiesError";
}

/** Reads `dir/meta.properties`; null when the directory is not formatted yet. */
export function readMetaProperties(dir: string): MetaProperties | null {
  const path = join(dir, META_PROPERTIES_FILE);
  if (!existsSync(path)) return null;
  const props = parseProperties(readFileSync(path, "utf8"));
  const version = props.get("version");
  if (version !== "1") {
    throw new MetaPropertiesError(
      `${path}: unsupported meta.properties version ${version ?? "(none)"}; only version 1 (KRaft) is supported`,
    );
  }
  const clusterId = props.get("cluster.id");
  const nodeId = props.get("node.id");
  if (!clusterId) throw new MetaPropertiesError(`${path}: cluster.id is missing`);
  if (nodeId === undefined || !/^\d+$/.test(nodeId)) throw new MetaPropertiesError(`${path}: node.id is missing or invalid`);
  const directoryId = props.get("directory.id") ?? "";
  return { version: 1, clusterId, nodeId: Number(nodeId), directoryId };
}

export function writeMetaProperties(dir: string, meta: MetaProperties): void {
  // Same layout as Java's Properties.store: a comment header, then key=value lines.
  const text =
    "#\n" +
    `#${new Date().toUTCString()}\n` +
    `node.id=${meta.nodeId}\n` +
    `directory.id=${meta.directoryId}\n` +
    `version=${meta.version}\n` +
    `cluster.id=${meta.clusterId}\n`;
  writeFileAtomic(join(dir, META_PROPERTIES_FILE), text);
}

export interface FormatOptions {
  /** Every log directory of the node, the metadata log directory included. */
  dirs: readonly string[];
  nodeId: number;
  /**
   * The cluster id to format with (a launcher gives all nodes of a cluster the same one).
   * Without it, the id already on disk is kept, or a fresh one is made on first start.
   */
  clusterId?: string;
  /** Source of new ids (tests). */
  newUuid?: () => string;
}

export interface FormattedDirs {
  clusterId: string;
  /** Directory path → its directory.id. */
  directoryIds: Map<string, string>;
}

/**
 * Verifies the formatted directories and formats the new ones (Kafka's
 * MetaPropertiesEnsemble checks): all must name the same cluster and this node, and no two
 * may share a directory id. Throws MetaPropertiesError with the reason when they do not.
 */
export function ensureMetaProperties(options: FormatOptions): FormattedDirs {
  const newUuid = options.newUuid ?? randomUuid;
  const existing = new Map<string, MetaProperties>();
  for (const dir of options.dirs) {
    const meta = readMetaProperties(dir);
    if (meta) existing.set(dir, meta);
  }

  let clusterId = options.clusterId;
  for (const [dir, meta] of existing) {
    const path = join(dir, META_PROPERTIES_FILE);
    if (clusterId === undefined) clusterId = meta.clusterId;
    if (meta.clusterId !== clusterId) {
      throw new MetaPropertiesError(`Invalid cluster.id in: ${path}. Expected ${clusterId}, but read ${meta.clusterId}`);
    }
    if (meta.nodeId !== options.nodeId) {
      throw new MetaPropertiesError(
        `Stored node id ${meta.nodeId} doesn't match previous node id ${options.nodeId} in ${path}. ` +
          "If you moved your data, make sure your configured node id matches. " +
          "If you intend to create a new node, you should remove all data in your data directories.",
      );
    }
  }
  clusterId ??= newUuid();
  validateClusterId(clusterId);

  const directoryIds = new Map<string, string>();
  const owner = new Map<string, string>();
  for (const dir of options.dirs) {
    const meta = existing.get(dir);
    let directoryId = meta?.directoryId ?? "";
    if (directoryId !== "" && owner.has(directoryId)) {
      throw new MetaPropertiesError(
        `Duplicate directory ID ${directoryId} found. It was the directory ID of ${owner.get(directoryId)}, but also of ${dir}`,
      );
    }
    if (!meta || directoryId === "") {
      // First start, or a directory formatted before directory ids existed: stamp it now.
      do directoryId = newUuid();
      while (owner.has(directoryId));
      mkdirSync(dir, { recursive: true });
      writeMetaProperties(dir, { version: 1, clusterId, nodeId: options.nodeId, directoryId });
    }
    owner.set(directoryId, dir);
    directoryIds.set(dir, directoryId);
  }
  return { clusterId, directoryIds };
}

/** Kafka's cluster ids are Uuids in their 22-character base64url form. */
function validateClusterId(clusterId: string): void {
  try {
    uuidFromString(clusterId);
  } catch {
    throw new MetaPropertiesError(`cluster id "${clusterId}" is not a valid Kafka Uuid (22 base64url characters)`);
  }
}
