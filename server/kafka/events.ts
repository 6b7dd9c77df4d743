/**
 * A state-machine transition as the console shows it: a `__state_changes` record (with its
 * offset) or an event derived from metadata snapshots. `seq` orders events within this
 * console process and is the SSE event id.
 */
export interface ObservedEvent {
  seq: number;
  machine: string;
  subject: string;
  from: string;
  to: string;
  cause: string;
  details: Record<string, unknown>;
  node: number;
  epoch: number;
  at: number;
  offset: number | null;
  source: "state-changes" | "derived";
}

export type EventListener = (events: readonly ObservedEvent[]) => void;

/**
 * The recent events of one cluster (bounded; the oldest fall off) and the subscribers they
 * are fanned out to (each SSE stream is one).
 */
export class EventHub {
  private ring: ObservedEvent[] = [];
  private nextSeq = 1;
  private readonly listeners = new Set<EventListener>();

  constructor(readonly capacity = 1000) {}

  publish(events: readonly Omit<ObservedEvent, "seq">[]): ObservedEvent[] {
    if (events.length === 0) return [];
    const stamped = events.map((e) => ({ ...e, seq: this.nextSeq++ }));
    this.ring.push(...stamped);
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
    for (const l of this.listeners) {
      try {
        l(stamped);
      } catch {
        // A failing subscriber (a closed stream) must not stop the others.
      }
    }
    return stamped;
  }

  /** The newest `limit` events, oldest first. */
  recent(limit = this.capacity): ObservedEvent[] {
    return this.ring.slice(Math.max(0, this.ring.length - limit));
  }

  /** Events after `seq` still in the ring (for a reconnecting stream's Last-Event-ID). */
  since(seq: number): ObservedEvent[] {
    return this.ring.filter((e) => e.seq > seq);
  }

  get size(): number {
    return this.ring.length;
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
