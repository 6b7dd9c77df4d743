import type { PrismaClient } from "./generated/client.ts";
import type { Prisma } from "./generated/client.ts";

export type AuditOutcome = "pending" | "ok" | "error";

export interface AuditStart {
  actor: string;
  role: string;
  action: string;
  /** What the action was asked to do, without secrets. */
  parameters: Record<string, unknown>;
  cluster: string;
}

export interface AuditRecord extends AuditStart {
  id: string;
  at: Date;
  outcome: AuditOutcome;
  error: string | null;
  finishedAt: Date | null;
}

export interface AuditFilter {
  actor?: string | undefined;
  action?: string | undefined;
  outcome?: AuditOutcome | undefined;
  page?: number | undefined;
  pageSize?: number | undefined;
}

/** Thrown when the audit history cannot be written: the action must not run. */
export class AuditUnavailableError extends Error {
  override readonly name = "AuditUnavailableError";

  constructor(readonly reason: string) {
    super(`The action was not run because its audit record could not be written (${reason}).`);
  }
}

export function isAuditUnavailable(e: unknown): e is AuditUnavailableError {
  return e instanceof Error && e.name === "AuditUnavailableError" && typeof (e as { reason?: unknown }).reason === "string";
}

/** The audit history: every console action, written before it runs and completed after. */
export class AuditStore {
  constructor(private readonly prisma: PrismaClient) {}

  /** Records that an action starts (outcome "pending"); throws AuditUnavailableError. */
  async begin(entry: AuditStart): Promise<string> {
    return (await this.write({ ...entry, outcome: "pending" })).id;
  }

  /** Records an action that ended without reaching the cluster (e.g. refused by role). */
  async record(entry: AuditStart & { outcome: "ok" | "error"; error?: string | null }): Promise<string> {
    return (await this.write({ ...entry, finishedAt: new Date() })).id;
  }

  /** Completes a record written by begin(). */
  async finish(id: string, outcome: "ok" | "error", error: string | null = null): Promise<void> {
    try {
      await this.prisma.auditEvent.update({ where: { id }, data: { outcome, error, finishedAt: new Date() } });
    } catch (err) {
      throw new AuditUnavailableError(describeDbError(err));
    }
  }

  async list(filter: AuditFilter = {}): Promise<{ rows: AuditRecord[]; total: number; page: number; pageSize: number }> {
    const pageSize = Math.min(Math.max(filter.pageSize ?? 50, 1), 500);
    const page = Math.max(filter.page ?? 1, 1);
    const where: Prisma.AuditEventWhereInput = {};
    if (filter.actor) where.actor = filter.actor;
    if (filter.action) where.action = filter.action;
    if (filter.outcome) where.outcome = filter.outcome;
    const [rows, total] = await Promise.all([
      this.prisma.auditEvent.findMany({ where, orderBy: [{ at: "desc" }, { id: "desc" }], skip: (page - 1) * pageSize, take: pageSize }),
      this.prisma.auditEvent.count({ where }),
    ]);
    return { rows: rows.map(toRecord), total, page, pageSize };
  }

  /** The actors and actions that occur, for the filter menus. */
  async facets(): Promise<{ actors: string[]; actions: string[] }> {
    const [actors, actions] = await Promise.all([
      this.prisma.auditEvent.findMany({ distinct: ["actor"], select: { actor: true }, orderBy: { actor: "asc" } }),
      this.prisma.auditEvent.findMany({ distinct: ["action"], select: { action: true }, orderBy: { action: "asc" } }),
    ]);
    return { actors: actors.map((a) => a.actor), actions: actions.map((a) => a.action) };
  }

  private async write(entry: AuditStart & { outcome: AuditOutcome; error?: string | null; finishedAt?: Date }) {
    try {
      return await this.prisma.auditEvent.create({
        data: {
          actor: entry.actor,
          role: entry.role,
          action: entry.action,
          parameters: entry.parameters as Prisma.InputJsonObject,
          outcome: entry.outcome,
          error: entry.error ?? null,
          cluster: entry.cluster,
          finishedAt: entry.finishedAt ?? null,
        },
      });
    } catch (err) {
      throw new AuditUnavailableError(describeDbError(err));
    }
  }
}

function toRecord(r: {
  id: string;
  at: Date;
  actor: string;
  role: string;
  action: string;
  parameters: unknown;
  outcome: string;
  error: string | null;
  cluster: string;
  finishedAt: Date | null;
}): AuditRecord {
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    role: r.role,
    action: r.action,
    parameters: (r.parameters ?? {}) as Record<string, unknown>,
    outcome: r.outcome as AuditOutcome,
    error: r.error,
    cluster: r.cluster,
    finishedAt: r.finishedAt,
  };
}

/** A short, user-readable reason for a database failure. */
export function describeDbError(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: unknown } | undefined;
  const text = [e?.message, (e?.cause as { message?: string } | undefined)?.message, e?.code].filter(Boolean).join(" ");
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|timeout|terminat|closed|Can't reach|connect/i.test(text)) {
    return "the audit database is unreachable";
  }
  const first = (e?.message ?? String(err)).split("\n").map((l) => l.trim()).filter(Boolean).pop();
  return `the audit database refused the write: ${first ?? "unknown error"}`;
}
