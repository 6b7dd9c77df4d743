import type { MetadataImage } from "../../controller/metadata-image.ts";
import type { Partition } from "../partition.ts";
import { logBatches, type BatchSummary } from "./log-batches.ts";

/** A replica as the checker sees it: which broker incarnation hosts it. */
export interface ReplicaView {
  brokerId: number;
  /** Counts the broker's restarts: a new process is a new leader even in the same epoch. */
  incarnation: number;
  /** Whether the controller's image has this incarnation registered (not an older one). */
  registered: boolean;
  partition: Partition;
}

export interface Ack {
  partition: number;
  offset: number;
  crc: number;
  acks: -1 | 1;
}

/**
 * Replication's safety properties, checked after every simulation event against a model of
 * the committed records (offset → batch CRC per partition), which only grows:
 * - what any replica has below its high watermark is committed: it extends the model or
 *   agrees with it (no committed record is ever changed);
 * - every ISR member (a running, registered incarnation) holds the whole committed prefix,
 *   unchanged (no committed record is lost from an ISR member, and ISR logs agree below it);
 * - a leader's high watermark never goes back within one leader epoch;
 * - at most one broker leads each leader epoch;
 * - an acks=all acknowledgement is for a committed record.
 * The first violation is kept with the time it was seen.
 */
export class ReplicationInvariants {
  private readonly committed: Map<number, BatchSummary>[];
  private readonly committedEnd: number[];
  private readonly leaderOfEpoch: Map<number, number>[];
  private readonly leaderHighWatermark = new Map<string, number>();
  private readonly lastSeen = new Map<string, string>();
  /** Per replica incarnation: where its log last agreed with the model. */
  private readonly verified = new Map<string, { end: number; lastBase: number; lastCrc: number }>();
  readonly violations: string[] = [];
  checks = 0;

  constructor(readonly topic: string, partitions: number) {
    this.committed = Array.from({ length: partitions }, () => new Map());
    this.committedEnd = Array.from({ length: partitions }, () => 0);
    this.leaderOfEpoch = Array.from({ length: partitions }, () => new Map());
  }

  /** The committed batches of `partition`, by base offset. */
  committedBatches(partition: number): ReadonlyMap<number, BatchSummary> {
    return this.committed[partition]!;
  }

  check(index: number, replicas: readonly ReplicaView[], image: MetadataImage, now: number): void {
    const isr = image.partition(this.topic, index)?.isr ?? [];
    for (const r of replicas) {
      const p = r.partition;
      if (p.log.isClosed) continue;
      if (p.isLeader) this.checkLeader(index, r, now);
      const inIsr = isr.includes(r.brokerId) && r.registered;
      const fingerprint = `${r.incarnation}:${p.log.logStartOffset}:${p.log.logEndOffset}:${p.highWatermark}:${this.committedEnd[index]}:${inIsr}`;
      const key = `${index}@${r.brokerId}`;
      if (this.lastSeen.get(key) === fingerprint) continue;
      this.lastSeen.set(key, fingerprint);
      this.checks++;
      this.checkLog(index, r, inIsr, now);
    }
  }

  private checkLeader(index: number, r: ReplicaView, now: number): void {
    const p = r.partition;
    const epochs = this.leaderOfEpoch[index]!;
    const other = epochs.get(p.leaderEpoch);
    if (other === undefined) epochs.set(p.leaderEpoch, r.brokerId);
    else if (other !== r.brokerId) this.fail(now, `${this.topic}-${index}: brokers ${other} and ${r.brokerId} both led leader epoch ${p.leaderEpoch}`);
    const key = `${index}@${r.brokerId}#${r.incarnation}/${p.leaderEpoch}`;
    const previous = this.leaderHighWatermark.get(key) ?? -1;
    if (p.highWatermark < previous) this.fail(now, `${this.topic}-${index}: leader ${r.brokerId}'s high watermark went back from ${previous} to ${p.highWatermark} in epoch ${p.leaderEpoch}`);
    this.leaderHighWatermark.set(key, Math.max(previous, p.highWatermark));
  }

  /**
   * Compares `r`'s log with the model from where it last agreed (`verified`: every batch
   * below it is committed and matches), adding the batches below its high watermark the
   * model lacks. A log cut below that point, or whose last agreeing batch changed, is
   * compared again from its start.
   */
  private checkLog(index: number, r: ReplicaView, inIsr: boolean, now: number): void {
    const model = this.committed[index]!;
    const p = r.partition;
    const where = `${this.topic}-${index} on broker ${r.brokerId}`;
    const key = `${index}@${r.brokerId}#${r.incarnation}`;
    let verified = this.verified.get(key);
    if (verified && (p.log.logEndOffset < verified.end || logBatches(p.log, verified.lastBase)[0]?.crc !== verified.lastCrc)) verified = undefined;
    for (const b of logBatches(p.log, verified?.end ?? p.log.logStartOffset)) {
      const known = model.get(b.baseOffset);
      const belowHw = b.lastOffset < p.highWatermark;
      if (known) {
        if (known.crc === b.crc && known.lastOffset === b.lastOffset) {
          verified = { end: b.lastOffset + 1, lastBase: b.baseOffset, lastCrc: b.crc };
          continue;
        }
        if (belowHw || inIsr) this.fail(now, `${where}: committed batch at ${b.baseOffset} changed (crc ${known.crc} -> ${b.crc}${inIsr ? ", an ISR member" : ""})`);
        break;
      }
      if (!belowHw) break;
      if (b.baseOffset !== this.committedEnd[index]) {
        this.fail(now, `${where}: batch ${b.baseOffset}-${b.lastOffset} is below its high watermark ${p.highWatermark} but the committed prefix ends at ${this.committedEnd[index]}`);
        break;
      }
      model.set(b.baseOffset, b);
      this.committedEnd[index] = b.lastOffset + 1;
      verified = { end: b.lastOffset + 1, lastBase: b.baseOffset, lastCrc: b.crc };
    }
    if (verified) this.verified.set(key, verified);
    else this.verified.delete(key);
    // An ISR member must hold every committed record.
    const end = this.committedEnd[index]!;
    if (inIsr && (verified?.end ?? p.log.logStartOffset) < end) {
      this.fail(now, `${where}: an ISR member holds the committed records only up to ${verified?.end ?? p.log.logStartOffset} (log end ${p.log.logEndOffset}), below the committed offset ${end}`);
    }
  }

  /** An acknowledged produce: acks=all must be committed, with these contents, already. */
  onAck(ack: Ack, now: number): void {
    if (ack.acks !== -1) return;
    const b = this.committed[ack.partition]!.get(ack.offset);
    if (!b || b.crc !== ack.crc) this.fail(now, `${this.topic}-${ack.partition}: acks=all acknowledged offset ${ack.offset} (crc ${ack.crc}) is not committed${b ? ` (committed crc ${b.crc})` : ""}`);
  }

  fail(now: number, message: string): void {
    if (this.violations.length < 20) this.violations.push(`t=${now}: ${message}`);
  }
}
