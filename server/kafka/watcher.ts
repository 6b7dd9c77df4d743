import { ApiKey } from "../../broker/protocol/generated/apis.ts";
import { defaultFetchRequestFetchPartition, defaultFetchRequestFetchTopic } from "../../broker/protocol/generated/message/FetchRequest.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";
import type { FetchResponse } from "../../broker/protocol/generated/message/FetchResponse.ts";
import { decodeRecords, type ClusterConnection } from "./cluster.ts";
import type { EventHub, ObservedEvent } from "./events.ts";
import { diffGroups, type ObservedGroup } from "./group-diff.ts";
import type { GroupDescription, GroupListing } from "./groups.ts";
import { diffSnapshots, type ClusterSnapshot } from "./snapshot.ts";

export const STATE_CHANGES_TOPIC = "__state_changes";

/** How long after a burst of state changes the metadata is read again for the summary. */
const REFRESH_DELAY_MS = 300;

/** Where observed events are kept beyond the ring (the console's StateChange table). */
export interface EventSink {
  insert(clusterId: string, events: readonly Omit<ObservedEvent, "seq">[]): Promise<void>;
  lastOffset(clusterId: string): Promise<number | null>;
}

/** Where the watcher reads groups from on clusters without __state_changes (GroupsClient). */
export interface GroupSource {
  list(maxAgeMs: number): Promise<GroupListing[]>;
  describe(groupIds: string[]): Promise<GroupDescription[]>;
}

export interface WatcherOptions {
  /** How often metadata (and groups) are re-read and diffed on clusters without __state_changes. */
  intervalMs?: number;
  /** Groups to diff along with the metadata on clusters without __state_changes. */
  groups?: GroupSource;
  /** Events read back from __state_changes at start when nothing is stored yet. */
  backfill?: number;
  log?: (message: string) => void;
}

export type WatchMode = "starting" | "state-changes" | "metadata-diff" | "unreachable";

/**
 * Follows one cluster's state changes and fans them out through the hub. On Samsa (the
 * cluster has `__state_changes`) it reads that topic's single partition with plain Fetch
 * requests to its leader, from where the stored history ends (or the latest offsets), no
 * consumer group involved. On any other cluster it derives the same kind of events by diffing
 * successive metadata snapshots and group descriptions, read every interval.
 */
export class ClusterWatcher {
  mode: WatchMode = "starting";
  lastError: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private previous: ClusterSnapshot | null = null;
  private previousGroups: Map<string, ObservedGroup> | null = null;
  private groupsError: string | null = null;
  private following = false;
  private followerDone: Promise<void> = Promise.resolve();
  private readonly intervalMs: number;
  private readonly backfill: number;
  private readonly log: (m: string) => void;
  private readonly groups: GroupSource | null;

  constructor(
    private readonly conn: ClusterConnection,
    readonly hub: EventHub,
    private readonly sink: EventSink | null,
    options: WatcherOptions = {},
  ) {
    this.groups = options.groups ?? null;
    this.intervalMs = options.intervalMs ?? 5000;
    this.backfill = options.backfill ?? 200;
    this.log = options.log ?? ((m) => console.warn(`[console] ${m}`));
  }

  /** Where the events come from, for the pages. */
  describeSource(): string {
    if (this.mode === "state-changes") return "following __state_changes";
    if (this.mode === "metadata-diff") {
      return `derived from metadata${this.groups ? " and group descriptions" : ""} read every ${Math.round(this.intervalMs / 1000)} s (this cluster has no __state_changes topic)`;
    }
    return this.mode;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    await this.followerDone;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    // While following __state_changes there is nothing to poll: the events say what changed.
    if (!this.following) await this.poll();
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.intervalMs);
  }

  private async poll(): Promise<void> {
    try {
      const snap = await this.conn.snapshot(0);
      this.lastError = null;
      if (snap.byName.has(STATE_CHANGES_TOPIC)) {
        this.mode = "state-changes";
        this.previous = null;
        this.previousGroups = null;
        this.follow(snap);
      } else {
        this.mode = "metadata-diff";
        const groups = await this.observeGroups();
        const events = this.previous ? diffSnapshots(this.previous, snap) : [];
        if (groups && this.previousGroups) events.push(...diffGroups(this.previousGroups, groups, snap.takenAt));
        this.emit(snap.clusterId, events);
        this.previous = snap;
        if (groups) this.previousGroups = groups;
      }
    } catch (err) {
      this.mode = "unreachable";
      const message = err instanceof Error ? err.message : String(err);
      if (message !== this.lastError) this.log(`cannot read metadata of ${this.conn.name}: ${message}`);
      this.lastError = message;
    }
  }

  /**
   * Every group's state (ListGroups) and the members of those not Empty (DescribeGroups); null
   * when the groups cannot be read this time (the metadata diff goes on without them). A
   * group its coordinator cannot describe right now keeps its previous observation.
   */
  private async observeGroups(): Promise<Map<string, ObservedGroup> | null> {
    if (!this.groups) return null;
    try {
      const listed = await this.groups.list(0);
      const described = new Map((await this.groups.describe(listed.filter((g) => g.state !== "Empty").map((g) => g.groupId))).map((d) => [d.groupId, d]));
      const seen = new Map<string, ObservedGroup>();
      for (const g of listed) {
        const d = described.get(g.groupId);
        if (d && d.errorCode !== ErrorCode.NONE) {
          const before = this.previousGroups?.get(g.groupId);
          if (before) seen.set(g.groupId, before);
        } else if (d) {
          if (d.state !== "Dead") seen.set(g.groupId, { groupId: g.groupId, state: d.state, protocolType: d.protocolType, protocol: d.protocol, members: d.members });
        } else {
          seen.set(g.groupId, { groupId: g.groupId, state: g.state, protocolType: g.protocolType, protocol: "", members: [] });
        }
      }
      this.groupsError = null;
      return seen;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message !== this.groupsError) this.log(`cannot read the groups of ${this.conn.name}: ${message}`);
      this.groupsError = message;
      return null;
    }
  }

  private emit(clusterId: string | null, events: Omit<ObservedEvent, "seq">[]): void {
    if (events.length === 0) return;
    this.hub.publish(events);
    if (this.sink && clusterId) {
      this.sink.insert(clusterId, events).catch((err: unknown) => this.log(`cannot store state changes: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  private follow(first: ClusterSnapshot): void {
    if (this.following) return;
    this.following = true;
    this.followerDone = this.followLoop(first)
      .catch((err: unknown) => this.log(`state-change follower stopped: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (this.following = false));
  }

  private async followLoop(first: ClusterSnapshot): Promise<void> {
    const clusterId = first.clusterId ?? this.conn.name;
    let offset: bigint | null = null;
    let failures = 0;
    // The partition's leader, looked up again only after a failure (not on every fetch).
    let leader: number | null = null;
    while (!this.stopped) {
      try {
        if (offset === null) offset = await this.startOffset(clusterId);
        if (leader === null || failures > 0) {
          const snap = await this.conn.snapshot(failures > 0 ? 0 : 10_000);
          const p = snap.byName.get(STATE_CHANGES_TOPIC)?.partitions.find((x) => x.partition === 0);
          if (!p) throw new Error(`${STATE_CHANGES_TOPIC} has no partition 0`);
          if (p.leader < 0) throw new Error(`${STATE_CHANGES_TOPIC}-0 has no leader`);
          leader = p.leader;
        }
        // Its own connection: the broker answers a connection's requests in order, and this
        // Fetch waits up to a second for new records.
        const c = await this.conn.wireTo(leader, "watcher");
        const v = c.version(ApiKey.Fetch, 4, 12);
        const r: FetchResponse = await c.request(ApiKey.Fetch, v, {
          maxWaitMs: 1000,
          minBytes: 1,
          maxBytes: 1024 * 1024,
          topics: [{ ...defaultFetchRequestFetchTopic(), topic: STATE_CHANGES_TOPIC, partitions: [{ ...defaultFetchRequestFetchPartition(), partition: 0, fetchOffset: offset, partitionMaxBytes: 1024 * 1024 }] }],
        });
        const pd = r.responses[0]?.partitions[0];
        const code = r.errorCode || pd?.errorCode || 0;
        if (code === ErrorCode.OFFSET_OUT_OF_RANGE) {
          offset = null;
          continue;
        }
        if (code !== ErrorCode.NONE) throw new Error(`Fetch ${STATE_CHANGES_TOPIC}-0: error ${code}`);
        const events: Omit<ObservedEvent, "seq">[] = [];
        for (const m of decodeRecords(pd?.records ?? null, 0)) {
          if (BigInt(m.offset) < offset) continue;
          offset = BigInt(m.offset) + 1n;
          const e = parseStateChange(m.value, Number(m.offset), m.timestamp);
          if (e) events.push(e);
        }
        if (events.length > 0) {
          this.emit(clusterId, events);
          this.conn.invalidate();
          this.refreshSoon();
        }
        failures = 0;
      } catch (err) {
        failures++;
        const message = err instanceof Error ? err.message : String(err);
        if (failures === 1) this.log(`following ${STATE_CHANGES_TOPIC}: ${message}; retrying`);
        this.lastError = message;
        await sleep(Math.min(5000, 250 * 2 ** Math.min(failures, 5)));
      }
    }
  }

  /**
   * Takes a fresh snapshot shortly after a burst of state changes, so the summary the SSE
   * streams forward (under-replicated, offline counts) follows the cluster without a page
   * asking; the delay lets the brokers apply the metadata the events describe.
   */
  private refreshSoon(): void {
    if (this.refreshTimer || this.stopped) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      if (!this.stopped) this.conn.snapshot(0).catch(() => {});
    }, REFRESH_DELAY_MS);
  }

  /** After the stored history, or the last `backfill` records when nothing is stored. */
  private async startOffset(clusterId: string): Promise<bigint> {
    const offsets = await this.conn.offsets(STATE_CHANGES_TOPIC);
    const o = offsets.get(0);
    const earliest = BigInt(o?.low ?? "0");
    const latest = BigInt(o?.high ?? "0");
    const stored = this.sink ? await this.sink.lastOffset(clusterId).catch(() => null) : null;
    let start = stored !== null ? BigInt(stored) + 1n : latest - BigInt(this.backfill);
    if (start > latest) start = latest - BigInt(this.backfill); // the topic was re-created
    if (start < earliest) start = earliest;
    return start;
  }
}

/** One `__state_changes` record value, or null when it is not a state change. */
export function parseStateChange(value: string | null, offset: number, timestamp: number): Omit<ObservedEvent, "seq"> | null {
  if (!value) return null;
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(value) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof v.machine !== "string" || typeof v.subject !== "string") return null;
  return {
    machine: v.machine,
    subject: v.subject,
    from: String(v.from ?? ""),
    to: String(v.to ?? ""),
    cause: String(v.cause ?? ""),
    details: typeof v.details === "object" && v.details !== null ? (v.details as Record<string, unknown>) : {},
    node: typeof v.node === "number" ? v.node : -1,
    epoch: typeof v.epoch === "number" ? v.epoch : 0,
    at: typeof v.at === "number" ? v.at : timestamp,
    offset,
    source: "state-changes",
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
