import { ApacheKafka } from "../../test/helpers/apache-kafka.ts";

/**
 * Apache Kafka through test/helpers/apache-kafka.ts, also with several nodes. That helper's
 * readiness check hands kafkajs its `bootstrap` as one comma-joined string, which kafkajs
 * cannot parse when there is more than one node (port NaN), so `start({ nodes: 3 })` fails.
 * Until the helper is fixed, `bootstrap` is narrowed to the first node's address (a valid
 * bootstrap list: clients discover the other brokers from it) and `addresses` lists them all.
 */
export async function startApacheKafka(options: { nodes?: number; overrides?: Record<string, string> } = {}): Promise<{ kafka: ApacheKafka; addresses: string[] }> {
  const proto = ApacheKafka.prototype as unknown as { ports: readonly number[] };
  const own = Object.getOwnPropertyDescriptor(ApacheKafka.prototype, "bootstrap");
  if (own?.get && !(own.get as { narrowed?: boolean }).narrowed) {
    const narrowed = function (this: typeof proto): string {
      return `127.0.0.1:${this.ports[0]}`;
    };
    (narrowed as { narrowed?: boolean }).narrowed = true;
    Object.defineProperty(ApacheKafka.prototype, "bootstrap", { ...own, get: narrowed });
  }
  const kafka = await ApacheKafka.start(options);
  return { kafka, addresses: kafka.ports.map((p) => `127.0.0.1:${p}`) };
}
