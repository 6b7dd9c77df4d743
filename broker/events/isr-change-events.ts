import type { AlterPartitionPartitionResult } from "../controller/replication-control.ts";
import type { IsrMemberChange, IsrProposal } from "../replication/alter-partition-manager.ts";
import type { StateChangeSink } from "./state-change.ts";

/**
 * A replica's ISR membership as the state-change log reports it (machine "replica"): the
 * leader's IsrState (Committed, PendingShrink, PendingExpand) decides the changes, and these
 * are their committed outcomes. Kafka's replica states say whether a replica's broker is
 * alive; these say whether the replica keeps up with its leader.
 */
export type IsrMembership = "InSync" | "OutOfSync";

type Event = Parameters<StateChangeSink>[0];

/**
 * The events for an ISR change the controller committed (AlterPartition answered it without
 * error): each follower the proposal removed that is out of the committed ISR went
 * InSync → OutOfSync, each one it added that is in it went OutOfSync → InSync, with the
 * leader's reasons. Reported by the leader, which alone knows them, so once per change.
 */
export function committedIsrChangeEvents(proposal: IsrProposal, committed: AlterPartitionPartitionResult): Event[] {
  const events: Event[] = [];
  for (const why of proposal.why ?? []) {
    const inIsr = committed.isr.includes(why.brokerId);
    if (why.change === "shrink" ? inIsr : !inIsr) continue;
    const [from, to]: [IsrMembership, IsrMembership] = why.change === "shrink" ? ["InSync", "OutOfSync"] : ["OutOfSync", "InSync"];
    events.push({
      machine: "replica",
      subject: `${proposal.topic}-${proposal.partition}@${why.brokerId}`,
      from,
      to,
      cause: why.change === "shrink" ? shrinkCause(why) : expandCause(why),
      details: {
        broker: why.brokerId,
        followerLogEndOffset: why.followerLogEndOffset,
        leaderLogEndOffset: why.leaderLogEndOffset,
        highWatermark: why.highWatermark,
        lastCaughtUpTimeMs: why.lastCaughtUpTimeMs,
        lagMs: why.lagMs,
        offsetLag: why.offsetLag,
        replicaLagTimeMaxMs: why.replicaLagTimeMaxMs,
        leader: committed.leaderId,
        isr: [...committed.isr],
        leaderEpoch: committed.leaderEpoch,
        partitionEpoch: committed.partitionEpoch,
      },
      epoch: committed.leaderEpoch,
    });
  }
  return events;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function shrinkCause(c: IsrMemberChange): string {
  const limit = `(replica.lag.time.max.ms=${c.replicaLagTimeMaxMs})`;
  if (c.followerLogEndOffset < 0) {
    return `replica ${c.brokerId} fell behind: no fetch from it since this leader took over ${seconds(c.lagMs)} ago ${limit}, leader log end ${c.leaderLogEndOffset}`;
  }
  return `replica ${c.brokerId} fell behind: last caught up ${seconds(c.lagMs)} ago ${limit}, log end ${c.followerLogEndOffset} vs leader ${c.leaderLogEndOffset}`;
}

function expandCause(c: IsrMemberChange): string {
  return `replica ${c.brokerId} caught up to the high watermark: log end ${c.followerLogEndOffset}, high watermark ${c.highWatermark} (leader log end ${c.leaderLogEndOffset})`;
}
