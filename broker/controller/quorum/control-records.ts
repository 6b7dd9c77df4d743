import { Reader } from "../../protocol/primitives/reader.ts";
import { encodeRecordBatch } from "../../protocol/records/record-batch.ts";
import { Writer } from "../../protocol/primitives/writer.ts";
import {
  decodeLeaderChangeMessage,
  encodeLeaderChangeMessage,
  type LeaderChangeMessage,
} from "../../protocol/generated/message/LeaderChangeMessage.ts";

/**
 * Control records of the metadata log (Kafka's ControlRecordType / ControlRecordUtils).
 * A control record's key is version int16 (0) + type int16; its value is the control
 * message. Raft leaders write LEADER_CHANGE (type 2) as the first record of their epoch:
 * committing it proves the new leader's log is the quorum's.
 */
export const ControlRecordType = {
  ABORT: 0,
  COMMIT: 1,
  LEADER_CHANGE: 2,
  SNAPSHOT_HEADER: 3,
  SNAPSHOT_FOOTER: 4,
  KRAFT_VERSION: 5,
  KRAFT_VOTERS: 6,
} as const;

const CONTROL_KEY_VERSION = 0;
/** 3.7-era LeaderChangeMessage (voters without directory ids). */
export const LEADER_CHANGE_VERSION = 0;

export function controlRecordKey(type: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt16BE(CONTROL_KEY_VERSION, 0);
  b.writeInt16BE(type, 2);
  return b;
}

/** The control type of a control record's key; throws on a key too short or of another version. */
export function controlRecordType(key: Buffer | null): number {
  if (!key || key.length < 4) throw new Error("control record key is too short");
  const version = key.readInt16BE(0);
  if (version !== CONTROL_KEY_VERSION) throw new Error(`unknown control record key version ${version}`);
  return key.readInt16BE(2);
}

export function encodeLeaderChange(message: LeaderChangeMessage): Buffer {
  const w = new Writer(32);
  encodeLeaderChangeMessage(w, message, LEADER_CHANGE_VERSION);
  return Buffer.from(w.finish());
}

export function decodeLeaderChange(value: Buffer): LeaderChangeMessage {
  return decodeLeaderChangeMessage(new Reader(value), LEADER_CHANGE_VERSION);
}

/** A raft leader's first batch in its epoch: one LEADER_CHANGE control record naming the voters. */
export function encodeLeaderChangeBatch(o: { baseOffset: bigint; epoch: number; leaderId: number; voters: readonly number[]; grantingVoters: readonly number[]; timestamp: number }): Buffer {
  const voter = (voterId: number) => ({ voterId, voterDirectoryId: "AAAAAAAAAAAAAAAAAAAAAA" });
  const value = encodeLeaderChange({ version: 0, leaderId: o.leaderId, voters: o.voters.map(voter), grantingVoters: o.grantingVoters.map(voter) });
  return encodeRecordBatch({
    baseOffset: o.baseOffset,
    partitionLeaderEpoch: o.epoch,
    control: true,
    baseTimestamp: BigInt(o.timestamp),
    records: [{ offsetDelta: 0, timestampDelta: 0, key: controlRecordKey(ControlRecordType.LEADER_CHANGE), value, headers: [] }],
  });
}
