import type { MetadataImage } from "../controller/metadata-image.ts";
import { STATE_CHANGES_TOPIC } from "../events/state-change.ts";
import type { Timer } from "../util/clock.ts";

export interface StateChangesTopicCreationOptions {
  timer: Timer;
  /** The replication factor wanted (`state.change.log.replication.factor`). */
  factor: number;
  /** How long to wait for that many brokers before creating it on the ones alive. */
  graceMs: number;
  image: () => MetadataImage;
  /** Creates the topic, its factor capped at the brokers alive (ensureInternalTopic). */
  create: () => Promise<void>;
  onError: (err: unknown) => void;
}

/**
 * When `__state_changes` is created. Its events start with the first node's boot, before
 * the rest of the cluster has registered, and a factor capped at the brokers alive then would
 * leave it on one replica for good. So it waits until enough brokers are active for its
 * factor, or, on a cluster smaller than that, for a grace period (time enough for the others
 * to start and register), and then creates it on the brokers there are. Until then events
 * wait in the publisher.
 */
export class StateChangesTopicCreation {
  private waitedLongEnough = false;
  private creating = false;
  private readonly cancelGrace: () => void;

  constructor(private readonly options: StateChangesTopicCreationOptions) {
    this.cancelGrace = options.timer.schedule(options.graceMs, () => {
      this.waitedLongEnough = true;
      this.maybeCreate();
    });
  }

  /** Called with each new metadata image. */
  maybeCreate(): void {
    const image = this.options.image();
    if (this.creating || image.topic(STATE_CHANGES_TOPIC)) return;
    const active = [...image.brokers.keys()].filter((id) => image.isActiveBroker(id)).length;
    if (active === 0 || (active < this.options.factor && !this.waitedLongEnough)) return;
    this.creating = true;
    this.options
      .create()
      .catch(this.options.onError)
      .finally(() => {
        this.creating = false;
      });
  }

  close(): void {
    this.cancelGrace();
  }
}
