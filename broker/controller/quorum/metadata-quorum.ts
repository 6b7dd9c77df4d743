import type { MetadataRecord } from "../metadata-record-serde.ts";

/**
 * The seam between the controller and the Raft quorum that stores `__cluster_metadata`
 * (Kafka's RaftClient). The controller appends records while it leads; every member learns
 * of records only once they are committed, through its listener, in log order. The image is
 * built from those callbacks alone, so a follower, a restarted node and the leader all
 * replay the same committed history. Two implementations exist: the single voter
 * (single-voter-quorum.ts) that leads the log, and observers (observer-quorum.ts), the
 * broker-only nodes that follow it. A multi-voter Raft quorum will implement the same interface.
 */

/** A committed batch of metadata records (control batches are not delivered). */
export interface CommittedBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  /** The leader epoch the batch was written in. */
  epoch: number;
  /** Append time of the batch (ms). */
  appendTimestamp: number;
  records: MetadataRecord[];
}

export interface LeaderAndEpoch {
  /** The leader's node id, or null while there is none. */
  leaderId: number | null;
  epoch: number;
}

export interface QuorumListener {
  /** A committed batch, in offset order, exactly once per quorum start. */
  handleCommit(batch: CommittedBatch): void;
  /** A new leader (or none) was elected; the epoch only grows. */
  handleLeaderChange(leader: LeaderAndEpoch): void;
}

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
}

export interface MetadataQuorum {
  readonly nodeId: number;
  leaderAndEpoch(): LeaderAndEpoch;
  isLeader(): boolean;
  /** The offset the next appended record will get. */
  endOffset(): bigint;
  /** Offsets below this are committed. */
  highWatermark(): bigint;
  /** Listeners registered before `start` see the whole committed log. */
  register(listener: QuorumListener): void;
  /** Recovers the log, replays it to the listeners and joins (or, alone, forms) the quorum. */
  start(): Promise<void>;
  /**
   * Appends `records` as one atomic batch in leader epoch `epoch`. Resolves once they are
   * committed and have been delivered to the listeners. Fails with NOT_CONTROLLER when this
   * node does not lead in that epoch.
   */
  append(epoch: number, records: readonly MetadataRecord[]): Promise<AppendResult>;
  close(): Promise<void>;
}

/** What the metadata leader sends an observer for one fetch. */
export interface MetadataLogRead {
  /** Whole committed batches (possibly none). */
  records: Buffer;
  highWatermark: bigint;
  leaderId: number;
  epoch: number;
}
