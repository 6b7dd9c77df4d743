import type { ReplicaView } from "../server/kafka/replica-status.ts";
import { LocalTime } from "./local-time.tsx";
import { Badge } from "./ui.tsx";

const TONE = { leader: "info", "in-sync": "good", "out-of-sync": "warn", offline: "bad" } as const;
const LABEL = { leader: "leader, in sync", "in-sync": "in sync", "out-of-sync": "out of sync", offline: "offline" } as const;

/** One replica: its broker and state, and for one out of the ISR how far behind and since when. */
export function ReplicaBadge({ r, showBroker = true }: { r: ReplicaView; showBroker?: boolean }) {
  return (
    <span className="inline-flex flex-wrap items-center gap-1" data-testid="replica" data-broker={r.broker} data-state={r.state}>
      {showBroker ? <span className="font-mono">{r.broker}</span> : null}
      <Badge tone={TONE[r.state]}>{LABEL[r.state]}</Badge>
      {r.state === "offline" && r.outOfSyncSince !== null ? (
        <span className="text-xs text-slate-600" data-testid="replica-lag">
          out of the ISR since <LocalTime at={r.outOfSyncSince} />
        </span>
      ) : null}
      {r.state === "out-of-sync" ? (
        <span className="text-xs text-slate-600" data-testid="replica-lag">
          {r.lag !== null ? `${r.lag} behind` : "lag unknown"}
          {" · since "}
          {r.outOfSyncSince !== null ? <LocalTime at={r.outOfSyncSince} /> : "unknown"}
        </span>
      ) : null}
    </span>
  );
}

/** A partition's replicas in replica order. */
export function ReplicaList({ replicas }: { replicas: readonly ReplicaView[] }) {
  return (
    <div className="flex flex-col gap-1" data-testid="replicas">
      {replicas.map((r) => (
        <ReplicaBadge key={r.broker} r={r} />
      ))}
    </div>
  );
}
