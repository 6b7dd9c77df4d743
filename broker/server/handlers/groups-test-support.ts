import pino from "pino";
import { BrokerConfig } from "../../config/broker-config.ts";
import { MetadataImage, type BrokerRegistration, type PartitionRegistration, type TopicImage } from "../../controller/metadata-image.ts";
import type { ControllerApi } from "../../controller/controller.ts";
import { GroupCoordinator } from "../../coordinator/group-coordinator.ts";
import { TEST_CONFIG } from "../../coordinator/test-support.ts";
import { InMemoryOffsetsTopic } from "../../coordinator/in-memory-coordinator-log.ts";
import type { GroupCoordinatorConfig } from "../../coordinator/group-coordinator-config.ts";
import { ManualTime } from "../../log/test-support.ts";
import { Reader } from "../../protocol/primitives/reader.ts";
import { APIS, type ApiKeyValue, type ApiRequest, type ApiResponse } from "../../protocol/generated/apis.ts";
import { encodeResponse } from "../../protocol/headers.ts";
import type { ReplicaManager } from "../../replication/replica-manager.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler, RequestContext } from "../request-dispatcher.ts";

/** Test utility: BrokerServices with a real group coordinator, a hand-made metadata image and in-memory offsets. */
export interface TestServices {
  services: BrokerServices;
  coordinator: GroupCoordinator;
  offsetsTopic: InMemoryOffsetsTopic;
  time: ManualTime;
  setImage(image: MetadataImage): void;
  ensured: string[];
  ensureFailure: Error | null;
}

export function partition(leader: number): PartitionRegistration {
  return { replicas: [leader], directories: [], isr: [leader], removingReplicas: [], addingReplicas: [], leader, leaderRecoveryState: 0, leaderEpoch: 0, partitionEpoch: 0, elr: null, lastKnownElr: null };
}

export function broker(id: number, host = `broker${id}`, port = 9092 + id, fenced = false): BrokerRegistration {
  return {
    id,
    incarnationId: "AAAAAAAAAAAAAAAAAAAAAA",
    epoch: 1n,
    listeners: [
      { name: "INTERNAL", host: `internal${id}`, port: 19092, securityProtocol: 0 },
      { name: "PLAINTEXT", host, port, securityProtocol: 0 },
    ],
    supportedFeatures: new Map(),
    rack: null,
    fenced,
    inControlledShutdown: false,
    isMigratingZkBroker: false,
    directories: [],
  };
}

/** An image with these brokers and topics (each partition led by `leaderOf(topic, p)`). */
export function image(brokers: BrokerRegistration[], topics: Record<string, number>, leaderOf: (topic: string, p: number) => number = () => brokers[0]?.id ?? -1): MetadataImage {
  const byName = new Map<string, TopicImage>();
  for (const [name, n] of Object.entries(topics)) {
    byName.set(name, { name, id: "AAAAAAAAAAAAAAAAAAAAAA", partitions: new Map(Array.from({ length: n }, (_, p) => [p, partition(leaderOf(name, p))])) });
  }
  const base = MetadataImage.empty("cluster");
  return new MetadataImage({ ...base, brokers: new Map(brokers.map((b) => [b.id, b])), topicsByName: byName, topicsById: new Map() });
}

export async function testServices(config: Partial<GroupCoordinatorConfig> = {}, props: Record<string, string> = {}): Promise<TestServices> {
  const time = new ManualTime(1_000_000);
  const offsetsTopic = new InMemoryOffsetsTopic();
  const coordinator = new GroupCoordinator({ config: { ...TEST_CONFIG, ...config }, log: offsetsTopic.newLeaderView(), clock: time, timer: time, newUuid: () => "uuid" });
  coordinator.startup();
  for (let p = 0; p < (config.offsetsTopicNumPartitions ?? TEST_CONFIG.offsetsTopicNumPartitions); p++) await coordinator.onBecomeLeader(p);
  let current = image([broker(0)], { orders: 3 });
  const t: TestServices = {
    coordinator,
    offsetsTopic,
    time,
    ensured: [],
    ensureFailure: null,
    setImage: (i) => (current = i),
    services: {
      nodeId: 0,
      config: new BrokerConfig(new Map(Object.entries(props))),
      clock: time,
      log: pino({ level: "silent" }),
      replicaManager: undefined as unknown as ReplicaManager,
      controller: undefined as unknown as ControllerApi,
      isController: true,
      activeControllerId: () => 0,
      readMetadataLog: () => Promise.reject(new Error("no metadata log in group handler tests")),
      groupCoordinator: coordinator,
      metadata: () => current,
      describeLogDirs: () => [],
      autoCreateTopics: async () => new Map(),
      ensureInternalTopic: async (name) => {
        t.ensured.push(name);
        if (t.ensureFailure) throw t.ensureFailure;
      },
    },
  };
  return t;
}

export function ctx(apiKey: number, apiVersion: number, clientId: string | null = "test-client"): RequestContext {
  return { header: { apiKey, apiVersion, correlationId: 7, clientId, headerVersion: 1 }, connection: { id: 1, remoteAddress: "::ffff:10.1.2.3:51234", listener: "PLAINTEXT" } };
}

/** Calls the handler and returns the response as a client of that version decodes it. */
export async function call<K extends ApiKeyValue>(handler: ApiHandler<K>, apiKey: K, version: number, request: ApiRequest<K>): Promise<ApiResponse<K>> {
  const response = await handler(request, ctx(apiKey, version));
  if (response === null) throw new Error("no response");
  const frame = encodeResponse(apiKey, version, 7, response);
  const r = new Reader(frame, 4);
  r.int32(); // correlation id
  if (APIS[apiKey].flexibleFrom !== null && version >= APIS[apiKey].flexibleFrom!) r.uvarint(); // header tagged fields
  return APIS[apiKey].response.decode(r, version) as ApiResponse<K>;
}
