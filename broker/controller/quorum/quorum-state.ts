import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../atomic-file.ts";

/**
 * A quorum member's election state (Kafka's QuorumStateData, FileQuorumStateStore): the
 * latest epoch it knows and whom it led or voted for in it. It must survive restarts so a
 * node never votes twice in one epoch or reuses an epoch. Kept, as in Kafka, as JSON in the
 * `quorum-state` file of the metadata partition directory, replaced atomically.
 */
export const QUORUM_STATE_FILE = "quorum-state";

export interface QuorumState {
  leaderId: number;
  leaderEpoch: number;
  votedId: number;
  /** Voter ids (version 0 of the file records the static voter set). */
  currentVoters: number[] | null;
}

export const EMPTY_QUORUM_STATE: QuorumState = { leaderId: -1, leaderEpoch: -1, votedId: -1, currentVoters: null };

export class QuorumStateError extends Error {
  override readonly name = "QuorumStateError";
}

/** Reads version 0 (Kafka 3.x) or 1 (3.8+, voted directory id) files. */
export function readQuorumState(dir: string): QuorumState | null {
  const path = join(dir, QUORUM_STATE_FILE);
  if (!existsSync(path)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new QuorumStateError(`${path}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof json !== "object" || json === null) throw new QuorumStateError(`${path}: expected a JSON object`);
  const o = json as Record<string, unknown>;
  const version = o["data_version"];
  if (version !== 0 && version !== 1) throw new QuorumStateError(`${path}: unsupported data_version ${String(version)}`);
  const int = (k: string): number => {
    const v = o[k] ?? -1;
    if (typeof v !== "number" || !Number.isInteger(v)) throw new QuorumStateError(`${path}: ${k} must be an integer`);
    return v;
  };
  const voters = o["currentVoters"];
  return {
    leaderId: int("leaderId"),
    leaderEpoch: int("leaderEpoch"),
    votedId: int("votedId"),
    currentVoters: Array.isArray(voters) ? voters.map((v) => Number((v as { voterId: unknown }).voterId)) : null,
  };
}

/** Writes version 0 of the file, as Kafka 3.7 does. */
export function writeQuorumState(dir: string, state: QuorumState): void {
  const data = {
    clusterId: "",
    leaderId: state.leaderId,
    leaderEpoch: state.leaderEpoch,
    votedId: state.votedId,
    appliedOffset: 0,
    currentVoters: state.currentVoters === null ? null : state.currentVoters.map((voterId) => ({ voterId })),
    data_version: 0,
  };
  writeFileAtomic(join(dir, QUORUM_STATE_FILE), JSON.stringify(data));
}

/**
 * Where a Raft client keeps its QuorumState (Kafka's QuorumStateStore). `write` must be
 * durable when it returns: the client acts on a vote or a new epoch only after that.
 */
export interface QuorumStateStore {
  read(): QuorumState | null;
  write(state: QuorumState): void;
}

/** The `quorum-state` file of a metadata partition directory, written atomically with fsync. */
export class FileQuorumStateStore implements QuorumStateStore {
  constructor(private readonly dir: string) {}

  read(): QuorumState | null {
    return readQuorumState(this.dir);
  }

  write(state: QuorumState): void {
    writeQuorumState(this.dir, state);
  }
}

/** A QuorumStateStore for simulations; survives "restarts" when the same instance is reused. */
export class MemoryQuorumStateStore implements QuorumStateStore {
  private state: QuorumState | null = null;

  read(): QuorumState | null {
    return this.state === null ? null : { ...this.state, currentVoters: this.state.currentVoters && [...this.state.currentVoters] };
  }

  write(state: QuorumState): void {
    this.state = { ...state, currentVoters: state.currentVoters && [...state.currentVoters] };
  }
}
