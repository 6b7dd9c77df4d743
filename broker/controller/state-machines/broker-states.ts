import type { StateChangeSink } from "../../events/state-change.ts";
import type { MetadataDelta } from "../metadata-delta.ts";
import type { BrokerRegistration, MetadataImage } from "../metadata-image.ts";
import { StateMachine } from "./state-machine.ts";

/**
 * A broker's standing with the controller: registered brokers start Fenced, become Active
 * when unfenced, and may be fenced again (missed heartbeats) or enter controlled shutdown.
 */
export type BrokerState = "Unregistered" | "Fenced" | "Active" | "ControlledShutdown";

const VALID_PREVIOUS: Record<BrokerState, readonly BrokerState[]> = {
  Unregistered: ["Fenced", "Active", "ControlledShutdown"],
  Fenced: ["Unregistered", "Active", "ControlledShutdown"],
  Active: ["Fenced"],
  ControlledShutdown: ["Active"],
};

function stateOf(b: BrokerRegistration | undefined): BrokerState {
  if (!b) return "Unregistered";
  if (b.fenced) return "Fenced";
  return b.inControlledShutdown ? "ControlledShutdown" : "Active";
}

export class BrokerStates {
  private readonly sm: StateMachine<BrokerState>;

  constructor(sink: StateChangeSink, epoch: () => number) {
    this.sm = new StateMachine<BrokerState>("broker", "Unregistered", VALID_PREVIOUS, sink, epoch);
  }

  state(id: number): BrokerState {
    return this.sm.state(String(id));
  }

  seed(image: MetadataImage): void {
    for (const b of image.brokers.values()) this.sm.seed(String(b.id), stateOf(b));
  }

  apply(delta: MetadataDelta, image: MetadataImage): void {
    for (const id of delta.changedBrokers) {
      const before = delta.image.brokers.get(id);
      const now = image.brokers.get(id);
      const subject = String(id);
      const details = now ? { epoch: String(now.epoch), rack: now.rack, listeners: now.listeners.map((l) => `${l.name}://${l.host}:${l.port}`) } : {};
      const target = stateOf(now);
      // A new registration (a restart: new epoch) passes through Fenced, as Kafka registers brokers fenced.
      if (now && (!before || before.epoch !== now.epoch) && this.sm.state(subject) !== "Fenced") {
        this.sm.transition(subject, "Fenced", before ? `re-registered after a restart (epoch ${now.epoch})` : `registered (epoch ${now.epoch})`, details);
      }
      if (this.sm.state(subject) === target) continue;
      const cause =
        target === "Active" ? "unfenced: caught up with the metadata log"
        : target === "Fenced"
          ? this.sm.state(subject) === "ControlledShutdown"
            ? "fenced: stopped after a controlled shutdown"
            : "fenced: missed heartbeats for broker.session.timeout.ms"
        : target === "ControlledShutdown" ? "controlled shutdown requested"
        : "unregistered";
      this.sm.transition(subject, target, cause, details);
    }
  }
}
