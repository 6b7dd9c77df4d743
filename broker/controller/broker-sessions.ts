import type { Clock } from "../util/clock.ts";

/**
 * When the active controller last heard from each broker (Kafka's BrokerHeartbeatManager).
 * A broker whose last heartbeat is older than broker.session.timeout.ms has lost its
 * session and is fenced. Sessions live only in the active controller's memory: a controller
 * that takes over has heard from nobody yet, so it gives every broker a fresh session.
 */
export class BrokerSessions {
  private readonly lastContact = new Map<number, number>();

  constructor(
    private readonly clock: Clock,
    private readonly sessionTimeoutMs: number,
  ) {}

  touch(brokerId: number): void {
    this.lastContact.set(brokerId, this.clock.now());
  }

  /** Fresh sessions for these brokers, forgetting any others. */
  reset(brokerIds: Iterable<number>): void {
    this.lastContact.clear();
    for (const id of brokerIds) this.touch(id);
  }

  hasValidSession(brokerId: number): boolean {
    const last = this.lastContact.get(brokerId);
    return last !== undefined && this.clock.now() - last <= this.sessionTimeoutMs;
  }

  /** Of `brokerIds`, those whose session has run out (never heard from counts as fresh from now). */
  expired(brokerIds: Iterable<number>): number[] {
    const out: number[] = [];
    for (const id of brokerIds) {
      if (!this.lastContact.has(id)) this.touch(id);
      else if (!this.hasValidSession(id)) out.push(id);
    }
    return out;
  }
}
