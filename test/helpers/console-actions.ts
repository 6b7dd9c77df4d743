import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kafka } from "kafkajs";
import type { ActionContext } from "../../server/actions/definitions.ts";
import { UserStore } from "../../server/auth/users.ts";
import { AuditStore } from "../../server/db/audit.ts";
import { openDatabase } from "../../server/db/database.ts";
import { migrate, readMigrations } from "../../server/db/migrate.ts";
import type { ClusterConnection } from "../../server/kafka/cluster.ts";
import { GroupsClient } from "../../server/kafka/groups.ts";
import { waitFor } from "./groups.ts";

/** What runAction needs to run console actions for real, with the audit store on a fresh PGlite database. */
export interface AuditedActions {
  audit: AuditStore;
  deps: { audit: AuditStore; clusterName: string; context: ActionContext };
  close(): Promise<void>;
}

export async function auditedActions(conn: ClusterConnection, clusterName: string): Promise<AuditedActions> {
  const dir = mkdtempSync(join(tmpdir(), "samsa-console-actions-"));
  const db = await openDatabase({ pgliteDir: dir });
  await migrate(db, readMigrations(join(import.meta.dirname, "..", "..", "prisma", "migrations")));
  const audit = new AuditStore(db.prisma);
  return {
    audit,
    deps: { audit, clusterName, context: { cluster: conn, groups: new GroupsClient(conn), users: new UserStore(db.prisma) } },
    async close() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a topic with the given replicas per partition and writes `count` records of `bytes` bytes to each partition. */
export async function createAssignedTopic(kafka: Kafka, topic: string, assignments: number[][], records: { count: number; bytes: number }): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, replicaAssignment: assignments.map((replicas, partition) => ({ partition, replicas })) }], waitForLeaders: false });
    // kafkajs's own wait gives up when a KRaft broker has not seen the topic yet (UNKNOWN_TOPIC_OR_PARTITION).
    await waitFor(`${topic}'s leaders`, async () => {
      const ps = (await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => null))?.topics[0]?.partitions ?? [];
      return ps.length === assignments.length && ps.every((p) => p.leader >= 0);
    });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (const [partition] of assignments.entries()) {
      for (let i = 0; i < records.count; i += 50) {
        await producer.send({ topic, acks: -1, messages: Array.from({ length: Math.min(50, records.count - i) }, (_, j) => ({ partition, value: `r${i + j}`.padEnd(records.bytes, "x") })) });
      }
    }
  } finally {
    await producer.disconnect();
  }
}
