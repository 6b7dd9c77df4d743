import type { Clock, Timer } from "../util/clock.ts";
import type { Partition } from "./partition.ts";
import { ReplicaFetcher, type FetcherLogger, type FollowerPartitions, type LeaderEndpoint, type PartitionFetchState, type ReplicaFetchConfig } from "./replica-fetcher.ts";

export interface ReplicaFetcherManagerOptions {
  localId: number;
  /** num.replica.fetchers: fetchers (connections) per source broker. */
  numFetchers: number;
  config: ReplicaFetchConfig;
  /** A connection to `brokerId` for fetcher `fetcherId` (over the wire, or in process in tests). */
  endpoint: (brokerId: number, fetcherId: number) => LeaderEndpoint;
  /** This broker's epoch, sent in Fetch's ReplicaState; -1 when not known. */
  brokerEpoch?: () => number;
  clock: Clock & Timer;
  partitions: FollowerPartitions;
  logger?: FetcherLogger;
}

/** The server.properties keys of the replica fetchers, with Kafka's defaults in broker-config-defs.ts. */
export function replicaFetchSettings(get: (name: string) => number): { numFetchers: number; config: ReplicaFetchConfig } {
  return {
    numFetchers: Math.max(1, get("num.replica.fetchers")),
    config: {
      maxWaitMs: get("replica.fetch.wait.max.ms"),
      minBytes: get("replica.fetch.min.bytes"),
      partitionMaxBytes: get("replica.fetch.max.bytes"),
      responseMaxBytes: get("replica.fetch.response.max.bytes"),
      backoffMs: get("replica.fetch.backoff.ms"),
    },
  };
}

/**
 * The replica fetchers of one node (Kafka's ReplicaFetcherManager / AbstractFetcherManager):
 * up to `num.replica.fetchers` per source broker, a partition always on the same one (by a
 * hash of its name, as Kafka's getFetcherId). Partitions are added when this node starts
 * following them in a new leader epoch (moved off their previous leader's fetcher), removed
 * when it leads them, they go offline or leave this node; fetchers left without partitions
 * are shut down.
 */
export class ReplicaFetcherManager {
  /** By `${sourceBroker}:${fetcherId}`. */
  private readonly fetchers = new Map<string, ReplicaFetcher>();

  constructor(private readonly options: ReplicaFetcherManagerOptions) {}

  /** Kafka's getFetcherId: Utils.abs(31 * topic.hashCode() + partition) % num.replica.fetchers. */
  fetcherId(topic: string, partition: number): number {
    const h = (Math.imul(31, javaStringHash(topic)) + partition) | 0;
    // Utils.abs: |h|, with Integer.MIN_VALUE mapped to 0.
    return (h === -2147483648 ? 0 : Math.abs(h)) % Math.max(1, this.options.numFetchers);
  }

  /**
   * Starts fetching each partition from its current leader (`Partition.leaderId`) from its
   * log end. A partition on another broker's fetcher moves; on the right fetcher in the same
   * epoch it keeps its state.
   */
  addPartitions(partitions: readonly Partition[]): void {
    const byFetcher = new Map<string, { leader: number; fetcherId: number; partitions: Partition[] }>();
    for (const p of partitions) {
      const leader = p.leaderId;
      if (!p.isFollower || leader < 0) continue;
      const fetcherId = this.fetcherId(p.topic, p.index);
      const key = fetcherKey(leader, fetcherId);
      // Off any fetcher of another broker (a leader change).
      for (const [k, f] of this.fetchers) if (k !== key) f.removePartitions([p.key]);
      const group = byFetcher.get(key) ?? { leader, fetcherId, partitions: [] };
      group.partitions.push(p);
      byFetcher.set(key, group);
    }
    for (const [key, group] of byFetcher) {
      let fetcher = this.fetchers.get(key);
      if (!fetcher) {
        fetcher = new ReplicaFetcher({
          localId: this.options.localId,
          brokerEpoch: this.options.brokerEpoch ?? (() => -1),
          fetcherId: group.fetcherId,
          endpoint: this.options.endpoint(group.leader, group.fetcherId),
          config: this.options.config,
          partitions: this.options.partitions,
          clock: this.options.clock,
          logger: this.options.logger,
        });
        this.fetchers.set(key, fetcher);
        fetcher.start();
      }
      fetcher.addPartitions(group.partitions);
    }
  }

  /** Stops fetching these partitions (`topic-partition` keys), wherever they are. */
  removePartitions(keys: readonly string[]): PartitionFetchState[] {
    const removed: PartitionFetchState[] = [];
    for (const f of this.fetchers.values()) removed.push(...f.removePartitions(keys));
    return removed;
  }

  /** Fetchers left without partitions stop (Kafka's shutdownIdleFetcherThreads). */
  shutdownIdleFetchers(): void {
    for (const [key, f] of this.fetchers) {
      if (f.partitionCount > 0) continue;
      f.shutdown();
      this.fetchers.delete(key);
    }
  }

  shutdown(): void {
    for (const f of this.fetchers.values()) f.shutdown();
    this.fetchers.clear();
  }

  /** Where `topic-partition` is being fetched, and its fetch state. */
  fetchStateOf(key: string): { sourceBrokerId: number; fetcherId: number; state: PartitionFetchState } | undefined {
    for (const f of this.fetchers.values()) {
      const state = f.state(key);
      if (state) return { sourceBrokerId: f.sourceBrokerId, fetcherId: f.fetcherId, state };
    }
    return undefined;
  }

  /** The running fetchers, as (source broker, fetcher id, partition count). */
  describe(): { sourceBrokerId: number; fetcherId: number; partitions: number }[] {
    return [...this.fetchers.values()].map((f) => ({ sourceBrokerId: f.sourceBrokerId, fetcherId: f.fetcherId, partitions: f.partitionCount }));
  }
}

function fetcherKey(brokerId: number, fetcherId: number): string {
  return `${brokerId}:${fetcherId}`;
}

/** Java's String.hashCode (UTF-16 code units, int32 arithmetic), so partitions land where Kafka puts them. */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}
