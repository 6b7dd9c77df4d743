// Apache Kafka's Java client (kafka-clients, from scripts/kafka-tool.sh --classpath) as a test
// client: the programs in test/java are compiled once per test file into a temporary directory
// and run as `java SamsaJavaClient SUBCOMMAND ...`, each printing one JSON summary line.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describeRun, lastJson, type RunOptions, type RunResult, run } from "./run.ts";

const JAVA_SOURCES = fileURLToPath(new URL("../java/", import.meta.url));
const SCRIPTS = fileURLToPath(new URL("../../scripts/", import.meta.url));
/** Kafka 3.x logs through reload4j: warnings and errors on stderr, nothing on stdout. */
const LOG4J = `-Dlog4j.configuration=file:${join(SCRIPTS, "apache-kafka", "log4j.properties")}`;
/** Short-lived JVMs start faster with the first JIT tier and a small serial heap. */
const JVM_OPTS = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"];

export interface JavaRun<T> {
  result: RunResult;
  /** The last JSON line of stdout, or undefined when there is none. */
  summary: T | undefined;
}

export class JavaClient {
  private constructor(
    readonly classDir: string,
    readonly kafkaClasspath: string,
  ) {}

  /** Compiles test/java/*.java against Kafka's jars (javac, into a fresh temporary directory). */
  static async compile(): Promise<JavaClient> {
    const cp = await run(join(SCRIPTS, "kafka-tool.sh"), ["--classpath"], { timeoutMs: 300_000 });
    const kafkaClasspath = cp.stdout.trim();
    if (cp.code !== 0 || !kafkaClasspath.includes("kafka-clients")) throw new Error(`kafka-tool.sh --classpath failed\n${describeRun(cp)}`);
    const classDir = mkdtempSync(join(tmpdir(), "samsa-java-client-"));
    const sources = readdirSync(JAVA_SOURCES)
      .filter((f) => f.endsWith(".java"))
      .map((f) => join(JAVA_SOURCES, f));
    const javac = await run("javac", ["-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-d", classDir, "-cp", kafkaClasspath, ...sources], { timeoutMs: 120_000 });
    if (javac.code !== 0) {
      rmSync(classDir, { recursive: true, force: true });
      throw new Error(`javac failed\n${describeRun(javac)}`);
    }
    return new JavaClient(classDir, kafkaClasspath);
  }

  /** Runs `java SamsaJavaClient ARGS...` to completion. */
  run(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return run("java", [...JVM_OPTS, LOG4J, "-cp", `${this.classDir}:${this.kafkaClasspath}`, "SamsaJavaClient", ...args], { timeoutMs: 120_000, ...opts });
  }

  /** Runs a subcommand and parses its JSON summary line. */
  async runJson<T>(args: readonly string[], opts: RunOptions = {}): Promise<JavaRun<T>> {
    const result = await this.run(args, opts);
    return { result, summary: lastJson(result.stdout) as T | undefined };
  }

  destroy(): void {
    rmSync(this.classDir, { recursive: true, force: true });
  }
}
