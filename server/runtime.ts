import { AuditStore } from "./db/audit.ts";
import { openDatabase, pgliteDirFor, type Database } from "./db/database.ts";
import { migrate } from "./db/migrate.ts";
import { sessionSecret } from "./db/settings.ts";
import { StateChangeStore } from "./db/state-changes.ts";
import { UserStore } from "./auth/users.ts";
import { bootstrapServers, loadConfig, type ConsoleConfig } from "./config.ts";
import { ClusterConnection } from "./kafka/cluster.ts";
import { EventHub } from "./kafka/events.ts";
import { GroupsClient } from "./kafka/groups.ts";
import { ClusterWatcher } from "./kafka/watcher.ts";

/**
 * Everything the console keeps for the life of the process, shared by every request and
 * every browser: the database (audit, users, state changes), the one connection and watcher
 * per cluster. Stored on globalThis, so every copy of this module in the process (Next's
 * bundles, the server entry point) sees the one instance. The entry point does not create it:
 * it asks the console's /api/health route, so all of it runs from Next's bundle.
 */
export interface ConsoleRuntime {
  config: ConsoleConfig;
  db: Database;
  audit: AuditStore;
  users: UserStore;
  stateChanges: StateChangeStore;
  cluster: ClusterConnection;
  groups: GroupsClient;
  hub: EventHub;
  watcher: ClusterWatcher;
  sessionSecret: string;
  close(): Promise<void>;
}

const KEY = Symbol.for("samsa.console.runtime");
type Holder = { [KEY]?: Promise<ConsoleRuntime> };

/** The process's runtime, started on first use with the environment's config. */
export function getRuntime(): Promise<ConsoleRuntime> {
  const g = globalThis as Holder;
  g[KEY] ??= startRuntime(loadConfig()).catch((err: unknown) => {
    delete g[KEY];
    throw err;
  });
  return g[KEY];
}

/** The runtime if one was started in this process (by any copy of this module). */
export function peekRuntime(): Promise<ConsoleRuntime> | undefined {
  return (globalThis as Holder)[KEY];
}

/** Installs a runtime built elsewhere (tests). */
export function setRuntime(rt: Promise<ConsoleRuntime> | undefined): void {
  const g = globalThis as Holder;
  if (rt) g[KEY] = rt;
  else delete g[KEY];
}

export async function startRuntime(config: ConsoleConfig, opts: { print?: (s: string) => void } = {}): Promise<ConsoleRuntime> {
  const print = opts.print ?? ((s: string) => process.stdout.write(s + "\n"));
  const db = await openDatabase({ url: config.databaseUrl, pgliteDir: pgliteDirFor(config.dataDir) });
  try {
    const m = await migrate(db);
    if (m.applied.length > 0) print(`console: applied migrations ${m.applied.join(", ")} to ${db.kind} (${db.location})`);
    for (const name of m.modified) print(`console: warning: migration ${name} was changed after it was applied`);
    const users = new UserStore(db.prisma);
    const admin = await users.bootstrapAdmin(config.adminPassword);
    if (admin) announceAdmin(print, admin, config);
    const secret = await sessionSecret(db.prisma);
    const stateChanges = new StateChangeStore(db.prisma);
    const cluster = new ClusterConnection(config.clusterName, bootstrapServers(config));
    const hub = new EventHub(1000);
    const groups = new GroupsClient(cluster);
    const watcher = new ClusterWatcher(cluster, hub, stateChanges, { intervalMs: config.metadataIntervalMs, groups });
    // A group appearing, changing state or going away: the cached group list is out of date.
    hub.subscribe((events) => {
      if (events.some((e) => e.machine === "group")) groups.invalidate();
    });
    watcher.start();
    return {
      config,
      db,
      audit: new AuditStore(db.prisma),
      users,
      stateChanges,
      cluster,
      groups,
      hub,
      watcher,
      sessionSecret: secret,
      async close() {
        await watcher.stop();
        await cluster.close();
        await db.close();
      },
    };
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}

function announceAdmin(print: (s: string) => void, admin: { username: string; password: string; generated: boolean }, config: ConsoleConfig): void {
  const line = "=".repeat(72);
  if (!admin.generated) {
    print(`console: created user "${admin.username}" (role admin) with the password from SAMSA_ADMIN_PASSWORD`);
    return;
  }
  print(line);
  print(`  Samsa console: first start, created user "${admin.username}" (role admin)`);
  print(`  password: ${admin.password}`);
  print(`  This is shown only once. Sign in at http://localhost:${config.port}/login,`);
  print(`  then add users and change passwords under Users.`);
  print(line);
}
