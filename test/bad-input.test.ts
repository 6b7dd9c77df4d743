// Malformed and unusual input on raw sockets: the broker answers as Kafka does (closes the
// connection, or the KIP-511 ApiVersions fallback), keeps serving other clients, and survives.
import { randomBytes } from "node:crypto";
import { Kafka, logLevel, type Admin, type Producer } from "kafkajs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BrokerNode } from "./helpers/broker-node.ts";
import {
  apiVersionsRequest,
  decodeApiVersionsResponse,
  header,
  R,
  RawConn,
  W,
  type ApiRange,
} from "./helpers/raw-conn.ts";

const MAX_REQUEST = 1_048_576;
const TOPIC = "bad-input-canary";

let node: BrokerNode;
let kafka: Kafka;
let producer: Producer;
let admin: Admin;
let served: ApiRange[] = [];
const acked: string[] = [];
const conns: RawConn[] = [];

async function open(): Promise<RawConn> {
  const c = await RawConn.openBootstrap(node.bootstrap);
  conns.push(c);
  return c;
}

function brokerTail(): string {
  return `\n--- broker (tail) ---\n${node.output.slice(-2000)}`;
}

/** Expects the broker to close the connection without answering. */
async function expectClosedSilently(c: RawConn, what: string): Promise<void> {
  const closed = await c.waitClosed(5_000);
  expect(closed, `broker did not close the connection after ${what}${brokerTail()}`).toBe(true);
  expect(c.received, `broker answered ${what} with ${c.received} bytes`).toBe(0);
}

beforeAll(async () => {
  node = await BrokerNode.start({ "socket.request.max.bytes": String(MAX_REQUEST) });
  kafka = new Kafka({ clientId: "bad-input-canary", brokers: [node.bootstrap], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
  producer = kafka.producer();
  await producer.connect();
  const c = await open();
  await c.send(apiVersionsRequest(3, 1));
  served = decodeApiVersionsResponse(await c.next(), 3).apis;
  c.destroy();
});

// After every test, the well-behaved clients on their own connections still work. If the
// broker died, the test that killed it fails with the broker's output, and the broker is
// relaunched on the same data dir so the remaining tests still say something.
const deaths: string[] = [];
afterEach(async (ctx) => {
  for (const c of conns.splice(0)) c.destroy();
  await new Promise((r) => setTimeout(r, 50));
  if (!node.alive) {
    const tail = node.output.slice(-2500);
    deaths.push(ctx.task.name);
    await node.launch();
    throw new Error(`the broker process died during "${ctx.task.name}":\n${tail}`);
  }
  const value = `after-${acked.length}`;
  const [meta] = await producer.send({ topic: TOPIC, acks: -1, messages: [{ value }] });
  expect(meta?.errorCode).toBe(0);
  expect(Number(meta?.baseOffset)).toBe(acked.length);
  acked.push(value);
  const topics = await admin.listTopics();
  expect(topics).toContain(TOPIC);
});

afterAll(async () => {
  await producer?.disconnect().catch(() => {});
  await admin?.disconnect().catch(() => {});
  await node?.destroy();
});

function range(apiKey: number): ApiRange | undefined {
  return served.find((a) => a.apiKey === apiKey);
}

describe("bad input on raw sockets", () => {
  it("a frame with a negative size closes the connection", async () => {
    const c = await open();
    await c.write(Buffer.from([0xff, 0xff, 0xff, 0xfe, 0, 18, 0, 0]));
    await expectClosedSilently(c, "a negative size");
  });

  it("a frame larger than socket.request.max.bytes closes the connection", async () => {
    const c = await open();
    const size = Buffer.alloc(4);
    size.writeInt32BE(MAX_REQUEST + 1);
    await c.write(Buffer.concat([size, apiVersionsRequest(0, 7)]));
    await expectClosedSilently(c, "an oversized frame");
    // A size just under the limit is accepted (the broker waits for the rest).
    const ok = await open();
    const under = Buffer.alloc(4);
    under.writeInt32BE(MAX_REQUEST - 100);
    await ok.write(Buffer.concat([under, Buffer.alloc(1000)]));
    expect(await ok.waitClosed(1_000)).toBe(false);
  });

  it("a zero-size frame closes the connection", async () => {
    const c = await open();
    await c.write(Buffer.alloc(4));
    await expectClosedSilently(c, "a zero-size frame");
  });

  it("a frame shorter than a request header closes the connection", async () => {
    for (let n = 1; n < 8; n++) {
      const c = await open();
      await c.send(Buffer.alloc(n, 0));
      await expectClosedSilently(c, `a ${n}-byte frame`);
    }
  });

  it("a truncated frame followed by our close is cleaned up", async () => {
    const c = await open();
    const size = Buffer.alloc(4);
    size.writeInt32BE(100);
    await c.write(Buffer.concat([size, Buffer.alloc(10, 1)]));
    c.socket.end();
    expect(await c.waitClosed(5_000)).toBe(true);
    expect(c.received).toBe(0);
  });

  it("random bytes close the connection", async () => {
    for (let i = 0; i < 20; i++) {
      const c = await open();
      const junk = randomBytes(64 + i * 97);
      // Make the size field claim exactly the bytes we send, so the broker must parse them.
      junk.writeInt32BE(junk.length - 4, 0);
      // Keep the api key unknown or the header unparseable: the first header bytes are random.
      junk.writeInt16BE(0x7000 + i, 4);
      await c.write(junk);
      await expectClosedSilently(c, `random bytes #${i}`);
    }
    // And pure noise with whatever size the first bytes say, then our close.
    for (let i = 0; i < 10; i++) {
      const c = await open();
      await c.write(randomBytes(512));
      c.socket.end();
      expect(await c.waitClosed(5_000)).toBe(true);
    }
  });

  it("a valid header with a garbage body closes the connection", async () => {
    // Metadata v1: topics array claims 100000 entries, then three bytes.
    const c = await open();
    await c.send(header(3, 1, 11, false).int32(100_000).raw(Buffer.from([1, 2, 3])).build());
    await expectClosedSilently(c, "Metadata v1 with a garbage body");
    // ApiVersions v3 (flexible) whose compact string length runs past the end.
    const c2 = await open();
    await c2.send(header(18, 3, 12, true).uvarint(5000).raw(Buffer.from("abc")).build());
    await expectClosedSilently(c2, "ApiVersions v3 with a garbage body");
    // A header whose client id length runs past the frame.
    const c3 = await open();
    await c3.send(new W().int16(3).int16(1).int32(13).int16(300).raw(Buffer.from("short")).build());
    await expectClosedSilently(c3, "a header with a truncated client id");
  });

  it("an unknown API key closes the connection", async () => {
    const c = await open();
    await c.send(header(999, 0, 21, false).build());
    await expectClosedSilently(c, "API key 999");
    const c2 = await open();
    await c2.send(header(-5, 0, 22, false).build());
    await expectClosedSilently(c2, "API key -5");
  });

  it("an unsupported version of Metadata closes the connection", async () => {
    const c = await open();
    await c.send(header(3, 99, 31, true).uvarint(1).int8(0).uvarint(0).build());
    await expectClosedSilently(c, "Metadata v99");
    const c2 = await open();
    await c2.send(header(3, -1, 32, false).int32(0).build());
    await expectClosedSilently(c2, "Metadata v-1");
  });

  it("ApiVersions v99 gets the KIP-511 answer: v0 response, UNSUPPORTED_VERSION, the ApiVersions range", async () => {
    const c = await open();
    await c.send(header(18, 99, 41, true).raw(randomBytes(20)).build());
    const resp = decodeApiVersionsResponse(await c.next(), 0);
    expect(resp.correlationId).toBe(41);
    expect(resp.errorCode).toBe(35);
    const av = resp.apis.find((a) => a.apiKey === 18);
    expect(av, JSON.stringify(resp.apis)).toBeDefined();
    expect(av!.minVersion).toBe(0);
    expect(av!.maxVersion).toBeGreaterThanOrEqual(3);
    // The connection stays usable: the client retries with a version both sides support.
    await c.send(apiVersionsRequest(av!.maxVersion, 42));
    const retry = decodeApiVersionsResponse(await c.next(), av!.maxVersion);
    expect(retry.correlationId).toBe(42);
    expect(retry.errorCode).toBe(0);
  });

  it("ApiVersions v0..v3 well-formed answer error 0 with the served APIs", async () => {
    const c = await open();
    for (const v of [0, 1, 2, 3]) {
      await c.send(apiVersionsRequest(v, 50 + v));
      const resp = decodeApiVersionsResponse(await c.next(), v);
      expect(resp.correlationId).toBe(50 + v);
      expect(resp.errorCode).toBe(0);
      const keys = resp.apis.map((a) => a.apiKey);
      for (const k of [0, 1, 2, 3, 18, 19, 20]) expect(keys, `api key ${k} advertised`).toContain(k);
      for (const a of resp.apis) expect(a.minVersion).toBeLessThanOrEqual(a.maxVersion);
      if (v >= 1) expect(resp.throttleTimeMs).toBe(0);
    }
    // v3 with an invalid client software name: Kafka answers INVALID_REQUEST (42).
    await c.send(header(18, 3, 60, true).compactString("bad name!").compactString("1.0").uvarint(0).build());
    const bad = decodeApiVersionsResponse(await c.next(), 3);
    expect(bad.correlationId).toBe(60);
    expect(bad.errorCode).toBe(42);
  });

  it("pipelined requests on one connection are answered in order", async () => {
    const fetchRange = range(1);
    const mdRange = range(3);
    expect(fetchRange && fetchRange.minVersion <= 4 && fetchRange.maxVersion >= 4, JSON.stringify(fetchRange)).toBe(true);
    expect(mdRange && mdRange.minVersion <= 1 && mdRange.maxVersion >= 1, JSON.stringify(mdRange)).toBe(true);
    const end = BigInt(acked.length); // the canary topic's log end offset: a fetch there waits
    const fetchV4 = (corr: number) =>
      header(1, 4, corr, false)
        .int32(-1) // replica id
        .int32(400) // max wait ms
        .int32(1) // min bytes
        .int32(1 << 20) // max bytes
        .int8(0) // isolation level
        .int32(1)
        .string(TOPIC)
        .int32(1)
        .int32(0)
        .int64(end + 1000n)
        .int32(1 << 20)
        .build();
    const metadataV1 = (corr: number) => header(3, 1, corr, false).int32(1).string(TOPIC).build();
    const c = await open();
    const requests: { corr: number; payload: Buffer }[] = [];
    for (let i = 0; i < 30; i++) {
      const corr = 1000 + i;
      const kind = i % 3;
      requests.push({ corr, payload: kind === 0 ? apiVersionsRequest(i % 4, corr) : kind === 1 ? metadataV1(corr) : fetchV4(corr) });
    }
    // One write with every request back to back, plus a slow one first.
    const slow = { corr: 999, payload: header(1, 4, 999, false).int32(-1).int32(500).int32(1).int32(1 << 20).int8(0)
      .int32(1).string(TOPIC).int32(1).int32(0).int64(end).int32(1 << 20).build() };
    const all = [slow, ...requests];
    await c.write(Buffer.concat(all.map((r) => {
      const s = Buffer.alloc(4);
      s.writeInt32BE(r.payload.length);
      return Buffer.concat([s, r.payload]);
    })));
    const got: number[] = [];
    for (let i = 0; i < all.length; i++) got.push(new R(await c.next(15_000)).int32());
    expect(got).toEqual(all.map((r) => r.corr));
  });

  it("200 concurrent connections each get their ApiVersions answer", async () => {
    const clients = await Promise.all(Array.from({ length: 200 }, () => open()));
    await Promise.all(clients.map((c, i) => c.send(apiVersionsRequest(3, 10_000 + i))));
    const answers = await Promise.all(clients.map(async (c) => decodeApiVersionsResponse(await c.next(15_000), 3)));
    answers.forEach((a, i) => {
      expect(a.correlationId).toBe(10_000 + i);
      expect(a.errorCode).toBe(0);
      expect(a.apis.length).toBeGreaterThan(5);
    });
    for (const c of clients) expect(c.closed).toBe(false);
  });

  it("a connection that disconnects mid-request does not disturb the others", async () => {
    const a = await open();
    const b = await open();
    // a sends half of a request and vanishes; b pipelines normally.
    const req = apiVersionsRequest(3, 77);
    const s = Buffer.alloc(4);
    s.writeInt32BE(req.length);
    await a.write(Buffer.concat([s, req.subarray(0, 5)]));
    a.socket.destroy();
    await b.send(apiVersionsRequest(3, 78));
    expect(decodeApiVersionsResponse(await b.next(), 3).correlationId).toBe(78);
  });

  it("every canary message was kept and the broker is alive", async () => {
    const offsets = await admin.fetchTopicOffsets(TOPIC);
    expect(offsets).toEqual([expect.objectContaining({ partition: 0, low: "0", high: String(acked.length) })]);
    expect(node.alive).toBe(true);
    expect(deaths, "tests during which the broker process died").toEqual([]);
  });
});
