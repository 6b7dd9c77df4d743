import { testRegistration } from "../../controller/test-support.ts";
import type { MetadataImage } from "../../controller/metadata-image.ts";
import type { ReplicaManager } from "../replica-manager.ts";
import { BrokerProcess, type BrokerProcessOptions } from "./broker-process.ts";
import type { SimScheduler } from "../../simulation/sim-scheduler.ts";

/**
 * A broker node across its lives: one log dir, and at most one running BrokerProcess.
 * Each start is a new incarnation (new incarnation id, so a new registration); a crash ends
 * the running one.
 */
export class SimBroker {
  process: BrokerProcess | null = null;
  incarnation = 0;
  private incarnationId = "";

  constructor(
    readonly id: number,
    private readonly scheduler: SimScheduler,
    private readonly options: Omit<BrokerProcessOptions, "id" | "scope" | "scheduler" | "registration">,
    private readonly newUuid: () => string,
  ) {}

  get isUp(): boolean {
    return this.process !== null;
  }

  get replicaManager(): ReplicaManager | undefined {
    return this.process?.replicaManager;
  }

  /** Whether the image's registration of this broker is the running incarnation's. */
  isRegistered(image: MetadataImage): boolean {
    return this.process !== null && image.brokers.get(this.id)?.incarnationId === this.incarnationId;
  }

  start(image: MetadataImage): void {
    if (this.process) throw new Error(`broker ${this.id} is already running`);
    this.incarnation++;
    this.incarnationId = this.newUuid();
    this.process = new BrokerProcess({ ...this.options, id: this.id, scope: this.scheduler.scope(), scheduler: this.scheduler, registration: testRegistration(this.incarnationId) }, image);
  }

  /** Returns the offsets lost (power loss only). */
  crash(powerLoss: boolean): number {
    const p = this.process;
    if (!p) return 0;
    this.process = null;
    return p.crash(powerLoss);
  }
}
