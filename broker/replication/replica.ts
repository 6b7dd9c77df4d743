/** Unknown offsets (a replica the leader has not heard from since it became leader). */
export const UNKNOWN_OFFSET = -1;

/**
 * What a partition's leader knows of one follower (Kafka's Replica and ReplicaState), learned
 * only from that follower's fetches: its log start and end offsets, and when it was last
 * caught up. The leader's high watermark and ISR decisions are made from these.
 */
export class FollowerReplica {
  logStartOffset = UNKNOWN_OFFSET;
  logEndOffset = UNKNOWN_OFFSET;
  /** The leader's log end offset when this follower's last fetch arrived. */
  lastFetchLeaderLogEndOffset = 0;
  lastFetchTimeMs = 0;
  /**
   * The latest time t at which this follower's fetch offset had reached the leader's log end
   * offset as of t: how far behind it is, in time, for ISR shrink and expand.
   */
  lastCaughtUpTimeMs = 0;

  constructor(readonly brokerId: number) {}

  /** A fetch from this follower at `fetchOffset` (its log end offset) at `nowMs`. */
  updateFetchState(fetchOffset: number, logStartOffset: number, nowMs: number, leaderEndOffset: number): void {
    if (fetchOffset >= leaderEndOffset) {
      this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, nowMs);
    } else if (fetchOffset >= this.lastFetchLeaderLogEndOffset) {
      // It has everything the leader had at its previous fetch: caught up as of then.
      this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, this.lastFetchTimeMs);
    }
    this.logStartOffset = logStartOffset;
    this.logEndOffset = fetchOffset;
    this.lastFetchLeaderLogEndOffset = Math.max(leaderEndOffset, this.lastFetchLeaderLogEndOffset);
    this.lastFetchTimeMs = nowMs;
  }

  /**
   * The leader was elected (`isNewLeader`) or re-elected in a new epoch starting at
   * `leaderEndOffset`. A follower in the ISR counts as caught up now, so it is not dropped
   * before it could fetch; one outside it as never, so it does not hold the high watermark
   * back. A re-elected leader keeps what it knew of the follower's log.
   */
  reset(nowMs: number, leaderEndOffset: number, isNewLeader: boolean, inSync: boolean): void {
    this.lastCaughtUpTimeMs = inSync ? nowMs : 0;
    if (isNewLeader) {
      this.logStartOffset = UNKNOWN_OFFSET;
      this.logEndOffset = UNKNOWN_OFFSET;
      this.lastFetchLeaderLogEndOffset = UNKNOWN_OFFSET;
      this.lastFetchTimeMs = 0;
    } else {
      this.lastFetchLeaderLogEndOffset = leaderEndOffset;
      this.lastFetchTimeMs = inSync ? nowMs : 0;
    }
  }

  /** Caught up: at the leader's log end, or caught up within the last `maxLagMs`. */
  isCaughtUp(leaderEndOffset: number, nowMs: number, maxLagMs: number): boolean {
    return leaderEndOffset === this.logEndOffset || nowMs - this.lastCaughtUpTimeMs <= maxLagMs;
  }
}
