import type { PrismaClient } from "./generated/client.ts";
import type { Prisma } from "./generated/client.ts";
import type { ObservedEvent } from "../kafka/events.ts";
import { subjectParts } from "../kafka/state-change-subject.ts";
import type { StateChangeFilter } from "../kafka/state-change-filter.ts";

/** Observed state changes, kept for history beyond the watcher's in-memory ring. */
export class StateChangeStore {
  constructor(private readonly prisma: PrismaClient) {}

  async insert(clusterId: string, events: readonly Omit<ObservedEvent, "seq">[]): Promise<void> {
    if (events.length === 0) return;
    await this.prisma.stateChange.createMany({
      data: events.map((e) => ({
        cluster: clusterId,
        machine: e.machine,
        subject: e.subject,
        from: e.from,
        to: e.to,
        cause: e.cause,
        details: (e.details ?? {}) as Prisma.InputJsonObject,
        node: e.node,
        epoch: e.epoch,
        at: new Date(e.at),
        offset: e.offset === null ? null : BigInt(e.offset),
        ...subjectParts(e.machine, e.subject),
      })),
    });
  }

  /** The highest __state_changes offset stored for a cluster, to resume after it. */
  async lastOffset(clusterId: string): Promise<number | null> {
    const r = await this.prisma.stateChange.aggregate({ where: { cluster: clusterId }, _max: { offset: true } });
    return r._max.offset === null ? null : Number(r._max.offset);
  }

  /**
   * The stored history of one cluster in a time range, newest first, filtered as the live
   * stream is (machine, topic, group, broker, text in the subject), paged.
   */
  async history(clusterId: string, filter: HistoryFilter = {}): Promise<HistoryPage> {
    const where: Prisma.StateChangeWhereInput = {
      cluster: clusterId,
      AND: [
        filter.machine ? { machine: filter.machine } : {},
        filter.topic !== undefined ? { topic: filter.topic } : {},
        filter.group !== undefined ? { machine: "group", subject: filter.group } : {},
        filter.broker !== undefined ? { broker: filter.broker } : {},
        filter.q ? { subject: { contains: filter.q, mode: "insensitive" as const } } : {},
      ],
      ...(filter.from || filter.to ? { at: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lte: filter.to } : {}) } } : {}),
    };
    const pageSize = Math.min(Math.max(filter.pageSize ?? 50, 1), 500);
    const total = await this.prisma.stateChange.count({ where });
    const pages = Math.max(1, Math.ceil(total / pageSize));
    const page = Math.min(Math.max(filter.page ?? 1, 1), pages);
    const rows = await this.prisma.stateChange.findMany({ where, orderBy: [{ at: "desc" }, { id: "desc" }], skip: (page - 1) * pageSize, take: pageSize });
    return { rows: rows.map(toEvent), total, page, pages, pageSize };
  }
}

export interface HistoryFilter extends StateChangeFilter {
  from?: Date | undefined;
  to?: Date | undefined;
  page?: number | undefined;
  pageSize?: number | undefined;
}

export interface HistoryPage {
  /** `seq` is the row id here, not the live stream's sequence. */
  rows: ObservedEvent[];
  total: number;
  page: number;
  pages: number;
  pageSize: number;
}

type Row = Awaited<ReturnType<PrismaClient["stateChange"]["findMany"]>>[number];

function toEvent(r: Row): ObservedEvent {
  return {
    seq: Number(r.id),
    machine: r.machine,
    subject: r.subject,
    from: r.from,
    to: r.to,
    cause: r.cause,
    details: (r.details ?? {}) as Record<string, unknown>,
    node: r.node,
    epoch: r.epoch,
    at: r.at.getTime(),
    offset: r.offset === null ? null : Number(r.offset),
    source: r.offset === null ? "derived" : "state-changes",
  };
}
