import { BROKER_CONFIGS } from "./broker-config-defs.ts";
import { type ConfigDef, ConfigSource, configNumber, validateConfigValue } from "./config-types.ts";
import { TOPIC_CONFIGS, type TopicConfigDef } from "./topic-config.ts";

export interface ConfigEntry {
  name: string;
  value: string | null;
  source: number;
  /** Where the value could come from, highest precedence first (DescribeConfigs synonyms). */
  synonyms: { name: string; value: string | null; source: number }[];
  def: ConfigDef;
}

export interface Listener {
  name: string;
  host: string;
  port: number;
}

const BROKER_DEFS = new Map(BROKER_CONFIGS.map((d) => [d.name, d]));

/**
 * A node's configuration: the static server.properties values plus dynamic broker
 * overrides (from ConfigRecords), resolved with Kafka's precedence. Topic defaults come
 * from here through the synonym table.
 */
export class BrokerConfig {
  private dynamic = new Map<string, string>();
  private dynamicDefault = new Map<string, string>();

  constructor(private readonly statics: ReadonlyMap<string, string>) {
    for (const [name, value] of statics) {
      const def = BROKER_DEFS.get(name);
      if (def) validateConfigValue(def, value);
    }
  }

  /** Replaces the dynamic configs for this node (`broker` resource "<id>") or all nodes (""). */
  setDynamic(perBroker: ReadonlyMap<string, string>, clusterDefault: ReadonlyMap<string, string>): void {
    this.dynamic = new Map(perBroker);
    this.dynamicDefault = new Map(clusterDefault);
  }

  get(name: string): string | null {
    return this.dynamic.get(name) ?? this.dynamicDefault.get(name) ?? this.statics.get(name) ?? BROKER_DEFS.get(name)?.default ?? null;
  }
  int(name: string): number {
    return configNumber(this.required(name));
  }
  bool(name: string): boolean {
    return this.required(name).toLowerCase() === "true";
  }
  list(name: string): string[] {
    return (this.get(name) ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  }
  private required(name: string): string {
    const v = this.get(name);
    if (v === null) throw new Error(`config ${name} has no value`);
    return v;
  }

  get nodeId(): number {
    const id = this.int("node.id");
    return id >= 0 ? id : this.int("broker.id");
  }
  get logDirs(): string[] {
    return this.list("log.dirs").length > 0 ? this.list("log.dirs") : this.list("log.dir");
  }

  /** Parsed `listeners`; host "" means all interfaces. */
  listeners(): Listener[] {
    return parseListeners(this.get("listeners") ?? "");
  }
  /** `advertised.listeners`, falling back to `listeners` as Kafka does. */
  advertisedListeners(): Listener[] {
    const adv = this.get("advertised.listeners");
    return adv ? parseListeners(adv) : this.listeners();
  }

  /** One broker config as DescribeConfigs reports it. */
  describeBrokerConfig(name: string): ConfigEntry | undefined {
    const def = BROKER_DEFS.get(name);
    if (!def) return undefined;
    const synonyms = this.brokerSynonyms(name);
    const top = synonyms[0];
    return { name, value: top?.value ?? null, source: top?.source ?? ConfigSource.DEFAULT_CONFIG, synonyms, def };
  }
  brokerConfigNames(): string[] {
    return [...BROKER_DEFS.keys()];
  }

  private brokerSynonyms(name: string): ConfigEntry["synonyms"] {
    const out: ConfigEntry["synonyms"] = [];
    const add = (source: number, v: string | undefined) => v !== undefined && out.push({ name, value: v, source });
    add(ConfigSource.DYNAMIC_BROKER_CONFIG, this.dynamic.get(name));
    add(ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, this.dynamicDefault.get(name));
    add(ConfigSource.STATIC_BROKER_CONFIG, this.statics.get(name));
    add(ConfigSource.DEFAULT_CONFIG, BROKER_DEFS.get(name)?.default ?? undefined);
    return out;
  }

  /**
   * A topic config resolved from the topic's overrides, then its broker synonyms in order
   * (e.g. retention.ms <- log.retention.ms <- log.retention.minutes <- log.retention.hours).
   * Synonyms keep the broker's raw values (168 hours); the entry's value is in the topic's unit.
   */
  describeTopicConfig(def: TopicConfigDef, overrides: ReadonlyMap<string, string>): ConfigEntry {
    const synonyms: ConfigEntry["synonyms"] = [];
    const scales = new Map<string, number>([[def.name, 1]]);
    const own = overrides.get(def.name);
    if (own !== undefined) synonyms.push({ name: def.name, value: own, source: ConfigSource.TOPIC_CONFIG });
    const defaults: ConfigEntry["synonyms"] = [];
    for (const syn of def.synonyms) {
      scales.set(syn.name, syn.scale ?? 1);
      for (const s of this.brokerSynonyms(syn.name)) {
        (s.source === ConfigSource.DEFAULT_CONFIG ? defaults : synonyms).push(s);
      }
    }
    // Kafka lists a default only for the primary broker synonym: cleanup.policy shows
    // log.cleanup.policy=delete, retention.ms (log.retention.ms has no default) shows nothing,
    // not log.retention.hours=168 (test/differential.test.ts).
    synonyms.push(...defaults.filter((d) => d.name === def.synonyms[0]?.name).slice(0, 1));
    const top = synonyms[0];
    if (!top || top.value === null) return { name: def.name, value: def.default, source: ConfigSource.DEFAULT_CONFIG, synonyms, def };
    const scale = scales.get(top.name) ?? 1;
    const value = scale === 1 ? top.value : String(configNumber(top.value) * scale);
    return { name: def.name, value, source: top.source, synonyms, def };
  }

  /** The effective value of every topic config for a topic with these overrides. */
  topicConfig(overrides: ReadonlyMap<string, string>): Map<string, string> {
    return new Map(TOPIC_CONFIGS.map((def) => [def.name, this.describeTopicConfig(def, overrides).value ?? ""]));
  }
}

export function parseListeners(spec: string): Listener[] {
  return spec
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => {
      const m = /^([A-Za-z0-9_]+):\/\/\[?([^\]]*?)\]?:(\d+)$/.exec(s);
      if (!m) throw new Error(`invalid listener "${s}": expected NAME://host:port`);
      return { name: m[1]!.toUpperCase(), host: m[2]!, port: Number(m[3]) };
    });
}
