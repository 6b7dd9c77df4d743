import { Reader } from "../protocol/primitives/reader.ts";
import { Writer } from "../protocol/primitives/writer.ts";
import {
  METADATA_RECORDS,
  MetadataRecordType,
  type MetadataRecordInfo,
  type MetadataRecordMap,
  type MetadataRecordTypeValue,
} from "../protocol/generated/metadata-records.ts";

/**
 * One metadata record as the controller and image handle it: its type name, the schema
 * version it is (or will be) encoded at, and the generated message body.
 */
export type MetadataRecordName = keyof typeof MetadataRecordType;
type DataOf<N extends MetadataRecordName> = MetadataRecordMap[(typeof MetadataRecordType)[N]];
export type MetadataRecord = { [N in MetadataRecordName]: { type: N; version: number; data: DataOf<N> } }[MetadataRecordName];
export type MetadataRecordOf<N extends MetadataRecordName> = Extract<MetadataRecord, { type: N }>;

/** Builds a record; version 0 unless the caller picks one from metadata.version. */
export function metadataRecord<N extends MetadataRecordName>(type: N, data: DataOf<N>, version = 0): MetadataRecordOf<N> {
  return { type, version, data } as MetadataRecordOf<N>;
}

/**
 * Kafka's MetadataRecordSerde framing of a metadata record (the value of a record in
 * `__cluster_metadata`): unsigned varint frame version (always 1), unsigned varint record
 * type (the schema's apiKey), unsigned varint record version, then the record body in its
 * flexible encoding. Brokers of any version can skip or reject a record by its header alone.
 */
export const METADATA_FRAME_VERSION = 1;

export class MetadataParseError extends Error {
  override readonly name = "MetadataParseError";
}

function infoFor(apiKey: number): MetadataRecordInfo | undefined {
  return (METADATA_RECORDS as Partial<Record<number, MetadataRecordInfo>>)[apiKey];
}

export function writeMetadataRecord(w: Writer, record: MetadataRecord): void {
  const apiKey: MetadataRecordTypeValue = MetadataRecordType[record.type];
  const info = infoFor(apiKey)!;
  if (record.version < info.minVersion || record.version > info.maxVersion) {
    throw new RangeError(`${record.type} has no version ${record.version} (valid ${info.minVersion}-${info.maxVersion})`);
  }
  w.uvarint(METADATA_FRAME_VERSION).uvarint(apiKey).uvarint(record.version);
  (info.codec as MetadataRecordInfo<never>["codec"]).encode(w, record.data as never, record.version);
}

export function encodeMetadataRecord(record: MetadataRecord): Buffer {
  const w = new Writer(64);
  writeMetadataRecord(w, record);
  return Buffer.from(w.finish());
}

export function decodeMetadataRecord(buf: Buffer): MetadataRecord {
  const r = new Reader(buf);
  try {
    const frameVersion = r.uvarint();
    if (frameVersion !== METADATA_FRAME_VERSION) {
      throw new MetadataParseError(
        `Could not deserialize metadata record due to unknown frame version ${frameVersion} (only frame version ${METADATA_FRAME_VERSION} is supported)`,
      );
    }
    const apiKey = r.uvarint();
    const version = r.uvarint();
    const info = infoFor(apiKey);
    if (!info) throw new MetadataParseError(`Unknown metadata id ${apiKey}`);
    if (version < info.minVersion || version > info.maxVersion) {
      throw new MetadataParseError(`${info.name} has no version ${version} (valid ${info.minVersion}-${info.maxVersion})`);
    }
    const data = info.codec.decode(r, version);
    if (r.remaining() > 0) {
      throw new MetadataParseError(`Found ${r.remaining()} byte(s) of garbage after ${info.name} (apiKey ${apiKey})`);
    }
    return { type: info.name, version, data } as MetadataRecord;
  } catch (e) {
    if (e instanceof MetadataParseError) throw e;
    throw new MetadataParseError(`Could not deserialize metadata record: ${e instanceof Error ? e.message : String(e)}`);
  }
}
