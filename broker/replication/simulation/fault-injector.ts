import type { MetadataImage } from "../../controller/metadata-image.ts";
import type { SimBroker } from "./sim-broker.ts";
import { CALM_NETWORK, type SimNetwork } from "./sim-network.ts";
import type { SimRandom } from "./sim-random.ts";
import type { SimScheduler } from "../../simulation/sim-scheduler.ts";

export interface FaultInjectorOptions {
  random: SimRandom;
  scheduler: SimScheduler;
  network: SimNetwork;
  /** The controller's node id: links to it can be cut too (the controller itself never crashes). */
  controllerId: number;
  brokers: readonly SimBroker[];
  controller: () => MetadataImage;
  topic: string;
  partitions: number;
  powerLoss: boolean;
  /** Told each fault as it happens (replays of failing seeds). */
  trace?: (line: string) => void;
}

export interface FaultStats {
  crashes: number;
  powerLosses: number;
  lostUnflushedOffsets: number;
  cuts: number;
  lossyPeriods: number;
  slowPeriods: number;
}

/**
 * Chooses the faults of a run, a few times a simulated second:
 * - kill -9 of a broker (files intact, as the page cache keeps them), while a minority is down;
 * - a power loss (each log loses a random unflushed tail, maybe torn), only when every
 *   broker is up and every partition's ISR is full: Kafka promises acks=all survives one
 *   failure, not a correlated loss of the page cache on several replicas;
 * - a cut link between two nodes (brokers or the controller), lossy and slow network
 *   periods (drops, long delays and so reordering), and a slow broker (a slow disk: it
 *   answers everything late).
 * Each fault heals after a random while; a crashed broker restarts after one.
 */
export class FaultInjector {
  readonly stats: FaultStats = { crashes: 0, powerLosses: 0, lostUnflushedOffsets: 0, cuts: 0, lossyPeriods: 0, slowPeriods: 0 };
  private stopped = true;
  private untilMs = 0;

  constructor(private readonly options: FaultInjectorOptions) {}

  start(untilMs: number): void {
    this.stopped = false;
    this.untilMs = untilMs;
    this.next();
  }

  stop(): void {
    this.stopped = true;
  }

  private next(): void {
    const { scheduler, random } = this.options;
    scheduler.schedule(random.int(100, 500), () => {
      if (this.stopped || scheduler.now() >= this.untilMs) return;
      this.inject();
      this.next();
    });
  }

  private inject(): void {
    const { random, brokers, network } = this.options;
    const roll = random.float();
    const up = brokers.filter((b) => b.isUp);
    const maxDown = Math.floor((brokers.length - 1) / 2);
    if (roll < 0.2) {
      if (brokers.length - up.length >= maxDown || up.length === 0) return;
      const victim = random.pick(up);
      victim.crash(false);
      this.trace(`kill -9 broker ${victim.id}`);
      this.stats.crashes++;
      this.later(random.int(100, 3000), () => this.restart(victim));
    } else if (roll < 0.3) {
      if (!this.options.powerLoss || up.length !== brokers.length || !this.healed()) return;
      const victim = random.pick(up);
      const lost = victim.crash(true);
      this.trace(`power loss on broker ${victim.id}: ${lost} unflushed offsets lost`);
      this.stats.lostUnflushedOffsets += lost;
      this.stats.crashes++;
      this.stats.powerLosses++;
      this.later(random.int(100, 3000), () => this.restart(victim));
    } else if (roll < 0.45) {
      const ids = [this.options.controllerId, ...brokers.map((b) => b.id)];
      const a = random.pick(ids);
      const b = random.pick(ids.filter((id) => id !== a));
      network.setCut(a, b, true);
      this.trace(`cut ${a}-${b}`);
      this.stats.cuts++;
      this.later(random.int(200, 3000), () => network.setCut(a, b, false));
    } else if (roll < 0.6) {
      network.conditions = { dropRate: random.float() * 0.3, minDelayMs: 1, maxDelayMs: random.pick([5, 50, 200]) };
      this.stats.lossyPeriods++;
      this.later(random.int(200, 2000), () => (network.conditions = CALM_NETWORK));
    } else if (roll < 0.7) {
      const victim = random.pick(brokers);
      network.setSlow(victim.id, random.int(50, 500));
      this.stats.slowPeriods++;
      this.later(random.int(200, 2000), () => network.setSlow(victim.id, 0));
    }
  }

  private restart(b: SimBroker): void {
    if (b.isUp) return;
    this.trace(`restart broker ${b.id}`);
    b.start(this.options.controller());
  }

  private trace(line: string): void {
    this.options.trace?.(`t=${this.options.scheduler.now()} ${line}`);
  }

  private later(ms: number, fn: () => void): void {
    this.options.scheduler.schedule(ms, () => {
      if (!this.stopped) fn();
    });
  }

  /** Every broker registered and unfenced, every partition's ISR all its replicas. */
  private healed(): boolean {
    const image = this.options.controller();
    if (!this.options.brokers.every((b) => b.isRegistered(image) && image.isActiveBroker(b.id))) return false;
    for (let i = 0; i < this.options.partitions; i++) {
      const reg = image.partition(this.options.topic, i);
      if (!reg || reg.leader < 0 || reg.isr.length !== reg.replicas.length) return false;
    }
    return true;
  }
}
