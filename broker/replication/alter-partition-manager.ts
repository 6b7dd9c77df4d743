import type { AlterPartitionCommand, AlterPartitionPartitionResult, AlterPartitionReply, IsrMemberState } from "../controller/replication-control.ts";
import { ZERO_UUID } from "../controller/uuid.ts";
import { ErrorCode, errorCodeOf } from "../protocol/errors.ts";
import type { Timer } from "../util/clock.ts";
import { committedIsrChangeEvents } from "../events/isr-change-events.ts";
import type { StateChangeSink } from "../events/state-change.ts";

/** An ISR change a partition leader proposes (Kafka's LeaderAndIsr as AlterPartition sends it). */
export interface IsrProposal {
  topic: string;
  topicId: string;
  partition: number;
  leaderEpoch: number;
  partitionEpoch: number;
  newIsr: readonly IsrMemberState[];
  leaderRecoveryState: number;
  /** Why each follower leaves or joins the ISR, as the leader saw it (reported once committed). */
  why?: readonly IsrMemberChange[];
}

/** One follower leaving (shrink) or joining (expand) the ISR, and how far it was from the leader. */
export interface IsrMemberChange {
  change: "shrink" | "expand";
  brokerId: number;
  /** -1 when this leader has had no fetch from it. */
  followerLogEndOffset: number;
  leaderLogEndOffset: number;
  highWatermark: number;
  lastCaughtUpTimeMs: number;
  lagMs: number;
  offsetLag: number;
  replicaLagTimeMaxMs: number;
}

/** The controller's answer for one partition: the committed state, or why it was not changed. */
export type IsrProposalOutcome =
  | { kind: "committed"; leaderId: number; leaderEpoch: number; partitionEpoch: number; isr: number[]; leaderRecoveryState: number }
  | { kind: "failed"; errorCode: number };

/** Where proposals go: the active controller (in process, or over the wire). */
export type AlterPartitionSender = (cmd: AlterPartitionCommand) => Promise<AlterPartitionReply>;

/** What a partition leader needs of the manager (Partition depends on this, not the class). */
export interface IsrChangeSubmitter {
  /**
   * Queues `proposal`. `isCurrent` says whether the partition still waits for it (it drops out
   * of the queue and of retries once not); `onDone` gets the final outcome. Returns false when
   * a proposal for the partition is already queued or in flight.
   */
  submit(proposal: IsrProposal, isCurrent: () => boolean, onDone: (outcome: IsrProposalOutcome) => void): boolean;
}

export interface AlterPartitionManagerOptions {
  brokerId: number;
  /** This broker's current registration epoch. */
  brokerEpoch: () => bigint;
  send: AlterPartitionSender;
  timer: Timer;
  /** Pause before resending after a failed request or a retriable partition error (Kafka: 50 ms). */
  retryBackoffMs?: number;
  onError?: (message: string) => void;
  /** Where the ISR changes the controller committed are reported (the state-change log). */
  stateChanges?: StateChangeSink;
}

/**
 * Partition-level errors after which the proposal is not retried (Kafka's
 * Partition.handleAlterPartitionError): the controller says the partition's state is out of
 * date (new metadata will replace it) or the request cannot succeed as it is.
 */
const FINAL_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.OPERATION_NOT_ATTEMPTED,
  ErrorCode.INELIGIBLE_REPLICA,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.INVALID_UPDATE_VERSION,
  ErrorCode.INVALID_REQUEST,
  ErrorCode.NEW_LEADER_ELECTED,
]);

interface Item {
  proposal: IsrProposal;
  isCurrent: () => boolean;
  onDone: (outcome: IsrProposalOutcome) => void;
}

/**
 * Kafka's AlterPartitionManager: carries partition leaders' ISR proposals to the active
 * controller. At most one proposal per partition is queued or in flight; one AlterPartition
 * request is in flight at a time, and everything queued meanwhile goes together in the next
 * one. A request that fails as a whole (controller unreachable, not the controller, stale
 * broker epoch) is resent after a backoff; so is a partition whose answer is a retriable
 * error. Final answers go to the proposing partition's callback.
 */
export class AlterPartitionManager implements IsrChangeSubmitter {
  /** Queued or in flight, by topic id and partition. */
  private readonly pending = new Map<string, Item>();
  private inflight = false;
  private retryTimer: (() => void) | null = null;
  private closed = false;
  private readonly backoffMs: number;

  constructor(private readonly options: AlterPartitionManagerOptions) {
    this.backoffMs = options.retryBackoffMs ?? 50;
  }

  submit(proposal: IsrProposal, isCurrent: () => boolean, onDone: (outcome: IsrProposalOutcome) => void): boolean {
    const key = keyOf(proposal.topicId, proposal.topic, proposal.partition);
    if (this.closed || this.pending.has(key)) return false;
    this.pending.set(key, { proposal, isCurrent, onDone });
    this.maybeSend();
    return true;
  }

  /** How many proposals are queued or in flight. */
  get pendingCount(): number {
    return this.pending.size;
  }

  close(): void {
    this.closed = true;
    this.retryTimer?.();
    this.retryTimer = null;
    this.pending.clear();
  }

  private maybeSend(): void {
    if (this.inflight || this.retryTimer || this.closed) return;
    // Proposals the partition no longer waits for (newer metadata replaced them) are dropped.
    for (const [key, item] of this.pending) if (!item.isCurrent()) this.pending.delete(key);
    if (this.pending.size === 0) return;
    const batch = new Map(this.pending);
    this.inflight = true;
    let cmd: AlterPartitionCommand;
    try {
      cmd = this.buildRequest([...batch.values()]);
    } catch (e) {
      this.inflight = false;
      this.failed(e);
      return;
    }
    this.options.send(cmd).then(
      (reply) => {
        this.inflight = false;
        if (this.closed) return;
        const retry = this.handleReply(batch, reply);
        if (retry) this.retryLater();
        else this.maybeSend();
      },
      (e: unknown) => {
        this.inflight = false;
        if (this.closed) return;
        this.failed(e);
      },
    );
  }

  private failed(e: unknown): void {
    this.options.onError?.(`AlterPartition failed (${errorCodeOf(e)}): ${e instanceof Error ? e.message : String(e)}; retrying`);
    this.retryLater();
  }

  private retryLater(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = this.options.timer.schedule(this.backoffMs, () => {
      this.retryTimer = null;
      this.maybeSend();
    });
  }

  private report(proposal: IsrProposal, answer: AlterPartitionPartitionResult): void {
    const sink = this.options.stateChanges;
    if (!sink) return;
    for (const event of committedIsrChangeEvents(proposal, answer)) sink(event);
  }

  private buildRequest(items: Item[]): AlterPartitionCommand {
    const topics = new Map<string, AlterPartitionCommand["topics"][number] & { partitions: AlterPartitionCommand["topics"][number]["partitions"][number][] }>();
    for (const { proposal: p } of items) {
      const topicKey = p.topicId !== ZERO_UUID ? p.topicId : p.topic;
      let t = topics.get(topicKey);
      if (!t) topics.set(topicKey, (t = { topicName: p.topic, topicId: p.topicId, partitions: [] }));
      t.partitions.push({
        partitionIndex: p.partition,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        leaderRecoveryState: p.leaderRecoveryState,
        newIsrWithEpochs: p.newIsr,
      });
    }
    return { version: 3, brokerId: this.options.brokerId, brokerEpoch: this.options.brokerEpoch(), topics: [...topics.values()] };
  }

  /** Applies a reply; true when something must be resent. */
  private handleReply(batch: Map<string, Item>, reply: AlterPartitionReply): boolean {
    const answers = new Map<string, AlterPartitionPartitionResult>();
    for (const t of reply.topics) for (const p of t.partitions) answers.set(keyOf(t.topicId, t.topicName, p.partitionIndex), p);
    let retry = false;
    for (const [key, item] of batch) {
      const answer = answers.get(key);
      // Not answered at all: stays queued and goes again.
      if (!answer) {
        retry = true;
        continue;
      }
      if (answer.errorCode !== ErrorCode.NONE && !FINAL_ERRORS.has(answer.errorCode)) {
        retry = true;
        continue;
      }
      this.pending.delete(key);
      // Committed is committed, whether or not the partition still waits for the answer.
      if (answer.errorCode === ErrorCode.NONE) this.report(item.proposal, answer);
      if (!item.isCurrent()) continue;
      const outcome: IsrProposalOutcome =
        answer.errorCode === ErrorCode.NONE
          ? {
              kind: "committed",
              leaderId: answer.leaderId,
              leaderEpoch: answer.leaderEpoch,
              partitionEpoch: answer.partitionEpoch,
              isr: [...answer.isr],
              leaderRecoveryState: answer.leaderRecoveryState,
            }
          : { kind: "failed", errorCode: answer.errorCode };
      try {
        item.onDone(outcome);
      } catch (e) {
        this.options.onError?.(`applying the AlterPartition answer for ${key} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return retry;
  }
}

/** Topic id when known (v2+), else the name (v0-1 answers carry names only). */
function keyOf(topicId: string, topic: string, partition: number): string {
  return `${topicId !== ZERO_UUID ? topicId : topic}:${partition}`;
}
