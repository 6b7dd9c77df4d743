/**
 * Produce and consume throughput of one Samsa node measured with kcat (librdkafka), next to
 * a baseline that pushes the same bytes through a plain Node TCP socket into a file.
 * Prints figures; asserts nothing. The CPU columns say which side was the bottleneck: at
 * 100-byte records kcat itself is saturated (over 100% of a core), so that row measures the
 * client as much as the broker.
 *
 *   npx tsx bench/kcat-throughput.ts [--records 200000] [--sizes 100,1024]
 */
import { spawnSync } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BrokerNode } from "../test/helpers/broker-node.ts";
import { kcatPayloadFile } from "./kcat-payload.ts";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1]!);
const RECORDS = Number(args.get("records") ?? 200_000);
const SIZES = (args.get("sizes") ?? "100,1024").split(",").map(Number);

interface Timed {
  secs: number;
  /** CPU the command used, as a share of one core over its run (bash's `time`). */
  cpu: number;
  /** CPU the broker used over the same run, as a share of one core. */
  brokerCpu: number;
}

/** CPU seconds a process has used so far (utime + stime from /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function timeCommand(cmd: string, argv: string[], brokerPid: number, stdinFile?: string): Timed {
  const brokerBefore = cpuSeconds(brokerPid);
  const start = process.hrtime.bigint();
  const line = `${cmd} ${argv.map((a) => `'${a}'`).join(" ")}${stdinFile ? ` < '${stdinFile}'` : ""} > /dev/null`;
  const r = spawnSync("bash", ["-c", `TIMEFORMAT='%U %S'; time (${line} 2>/dev/null)`], { stdio: ["ignore", "ignore", "pipe"] });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr.toString()}`);
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const [user, sys] = r.stderr.toString().trim().split("\n").at(-1)!.split(" ").map(Number);
  return { secs, cpu: (user! + sys!) / secs, brokerCpu: (cpuSeconds(brokerPid) - brokerBefore) / secs };
}

async function baseline(file: string, dir: string): Promise<number> {
  const out = join(dir, "baseline.out");
  const server = createServer((sock) => sock.pipe(createWriteStream(out)));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  const data = readFileSync(file);
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    const sock = connect(port, "127.0.0.1", () => {
      sock.end(data);
    });
    server.on("connection", (s) => s.on("close", () => resolve()));
  });
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  server.close();
  return secs;
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

const fmt = (n: number, d = 1) => n.toFixed(d);

async function main(): Promise<void> {
  if (spawnSync("kcat", ["-V"]).status !== 0) throw new Error("kcat is not installed (apt-get install kcat)");
  const dir = mkdtempSync(join(tmpdir(), "samsa-bench-"));
  const node = await BrokerNode.start({ "num.partitions": "1" });
  try {
    console.log(`records per run: ${RECORDS}`);
    console.log("size  | baseline MB/s | produce rec/s  MB/s  ratio kcat/broker CPU | consume rec/s  MB/s  ratio kcat/broker CPU | broker peak RSS MB");
    for (const size of SIZES) {
      const file = kcatPayloadFile(dir, size, RECORDS);
      const mb = (RECORDS * size) / 1e6;
      const base = mb / (await baseline(file, dir));
      const topic = `bench-${size}`;
      const prod = timeCommand("kcat", ["-P", "-b", node.bootstrap, "-t", topic, "-X", "linger.ms=20", "-X", "batch.size=1000000", "-X", "batch.num.messages=100000", "-X", "queue.buffering.max.messages=2000000", "-X", "queue.buffering.max.kbytes=2000000"], node.pid, file);
      const cons = timeCommand("kcat", ["-C", "-b", node.bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-c", String(RECORDS)], node.pid);
      const row = (t: Timed) => {
        const rate = mb / t.secs;
        return `${fmt(RECORDS / t.secs, 0).padStart(13)} ${fmt(rate).padStart(6)} ${fmt(rate / base, 2).padStart(6)} ${`${fmt(t.cpu * 100, 0)}%/${fmt(t.brokerCpu * 100, 0)}%`.padStart(16)}`;
      };
      console.log(`${String(size).padEnd(5)} | ${fmt(base).padStart(13)} | ${row(prod)} | ${row(cons)} | ${fmt(peakRssMb(node.pid))}`);
    }
  } finally {
    await node.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
