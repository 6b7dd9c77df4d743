import type { StateChangeSink, StateMachineName } from "../../events/state-change.ts";

/** A transition the machine's table does not allow: a bug in whoever asked for it. */
export class IllegalStateTransition extends Error {
  override readonly name = "IllegalStateTransition";
}

/**
 * Named states per subject with a table of legal transitions, reporting every transition
 * to the state-change log. Subjects not yet seen are in `initial` (e.g. NonExistentPartition).
 */
export class StateMachine<S extends string> {
  private readonly states = new Map<string, S>();

  constructor(
    readonly machine: StateMachineName,
    private readonly initial: S,
    /** Legal previous states of each state (Kafka's validPreviousStates). */
    private readonly validPrevious: Readonly<Record<S, readonly S[]>>,
    private readonly sink: StateChangeSink,
    private readonly epoch: () => number,
  ) {}

  state(subject: string): S {
    return this.states.get(subject) ?? this.initial;
  }

  /** Records a state without reporting it (a machine starting from existing metadata). */
  seed(subject: string, state: S): void {
    this.states.set(subject, state);
  }

  /** Drops a subject back to `initial` unreported: its next transitions are another node's to report. */
  forget(subject: string): void {
    this.states.delete(subject);
  }

  transition(subject: string, to: S, cause: string, details: Record<string, unknown> = {}): void {
    const from = this.state(subject);
    if (!this.validPrevious[to].includes(from)) {
      throw new IllegalStateTransition(`${this.machine} ${subject}: illegal transition ${from} -> ${to} (${cause})`);
    }
    if (to === this.initial) this.states.delete(subject);
    else this.states.set(subject, to);
    this.sink({ machine: this.machine, subject, from, to, cause, details, epoch: this.epoch() });
  }

  subjects(): IterableIterator<string> {
    return this.states.keys();
  }
}
