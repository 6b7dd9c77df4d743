import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { ErrorCode, KafkaError } from "./errors.ts";
import { APIS, ApiKey, API_LIST, apiInfo } from "./generated/apis.ts";
import { decodeApiVersionsResponse, defaultProduceResponse } from "./generated/index.ts";
import {
  apiVersionsFallback,
  decodeRequest,
  decodeRequestHeader,
  encodeApiVersionsFallbackBody,
  encodeResponse,
  encodeResponseFrame,
  encodeResponseHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  type ApiVersionRange,
} from "./headers.ts";
import { ProtocolDecodeError, Reader } from "./primitives/reader.ts";
import { Writer } from "./primitives/writer.ts";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("header versions", () => {
  it("request headers: v2 when flexible, else v1; ControlledShutdown v0 uses v0", () => {
    expect(requestHeaderVersion(ApiKey.Produce, 8)).toBe(1);
    expect(requestHeaderVersion(ApiKey.Produce, 9)).toBe(2);
    expect(requestHeaderVersion(ApiKey.Metadata, 9)).toBe(2);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 0)).toBe(0);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 1)).toBe(1);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 3)).toBe(2);
    expect(requestHeaderVersion(ApiKey.ApiVersions, 2)).toBe(1);
    expect(requestHeaderVersion(ApiKey.ApiVersions, 3)).toBe(2);
    // A version newer than any we know is still flexible (flexibleVersions are open-ended).
    expect(requestHeaderVersion(ApiKey.ApiVersions, 127)).toBe(2);
    expect(() => requestHeaderVersion(9999, 0)).toThrow(KafkaError);
  });

  it("response headers: v1 when flexible, else v0; ApiVersions always v0", () => {
    expect(responseHeaderVersion(ApiKey.Produce, 8)).toBe(0);
    expect(responseHeaderVersion(ApiKey.Produce, 9)).toBe(1);
    expect(responseHeaderVersion(ApiKey.ApiVersions, 3)).toBe(0);
    expect(responseHeaderVersion(ApiKey.ApiVersions, 4)).toBe(0);
    expect(responseHeaderVersion(ApiKey.Fetch, 12)).toBe(1);
    expect(responseHeaderVersion(ApiKey.Fetch, 11)).toBe(0);
  });

  it("agree with the registry for every api and version", () => {
    for (const api of API_LIST) {
      for (let v = api.minVersion; v <= api.maxVersion; v++) {
        const flexible = api.flexibleFrom !== null && v >= api.flexibleFrom;
        const req = api.apiKey === ApiKey.ControlledShutdown && v === 0 ? 0 : flexible ? 2 : 1;
        expect(requestHeaderVersion(api.apiKey, v)).toBe(req);
        expect(responseHeaderVersion(api.apiKey, v)).toBe(api.apiKey === ApiKey.ApiVersions ? 0 : flexible ? 1 : 0);
      }
    }
  });
});

describe("request headers", () => {
  it("decodes header v0 (ControlledShutdown v0): no client id", () => {
    const r = new Reader(hex("0007 0000 0000002a 00000005 beef"));
    expect(decodeRequestHeader(r)).toEqual({ apiKey: 7, apiVersion: 0, correlationId: 42, clientId: "", headerVersion: 0 });
    expect(r.offset).toBe(8);
  });

  it("decodes header v1 with a client id and with a null one", () => {
    const r = new Reader(hex("0003 0005 00000001 0003 616263 ff"));
    expect(decodeRequestHeader(r)).toEqual({ apiKey: 3, apiVersion: 5, correlationId: 1, clientId: "abc", headerVersion: 1 });
    expect(r.remaining()).toBe(1);
    const rn = new Reader(hex("0003 0005 00000002 ffff"));
    expect(decodeRequestHeader(rn).clientId).toBeNull();
  });

  it("decodes header v2: classic client id, then tagged fields (unknown ones skipped)", () => {
    const r = new Reader(hex("0003 000c 00000003 0001 78 02 05 01 aa 07 00 99"));
    expect(decodeRequestHeader(r)).toEqual({ apiKey: 3, apiVersion: 12, correlationId: 3, clientId: "x", headerVersion: 2 });
    expect(r.remaining()).toBe(1);
  });

  it("rejects short and unknown headers", () => {
    expect(() => decodeRequestHeader(new Reader(hex("0003")))).toThrow(ProtocolDecodeError);
    expect(() => decodeRequestHeader(new Reader(hex("0003 0001 0000")))).toThrow(ProtocolDecodeError);
    expect(() => decodeRequestHeader(new Reader(hex("7777 0000 00000001 0000")))).toThrow(KafkaError);
  });

  it("decodeRequest returns a body typed by api key", () => {
    const frame = hex("0003 0001 00000009 0001 63 00000001 0003 616263");
    const req = decodeRequest(frame);
    expect(req.apiKey).toBe(ApiKey.Metadata);
    expect(req.header.apiKey).toBe(ApiKey.Metadata);
    switch (req.apiKey) {
      case ApiKey.Metadata:
        // Narrowed: req.body is a MetadataRequest here.
        expect(req.body.topics?.map((t) => t.name)).toEqual(["abc"]);
        break;
      default:
        expect.unreachable();
    }
    // Metadata v99: the header parses (flexible), the body version does not exist.
    expect(() => decodeRequest(hex("0003 0063 00000009 0001 63 00"))).toThrow(KafkaError);
  });
});

describe("responses", () => {
  it("encodes response headers v0 and v1", () => {
    const w = new Writer();
    encodeResponseHeader(w, 258, 0);
    encodeResponseHeader(w, 258, 1);
    expect(w.finish().toString("hex")).toBe("00000102" + "00000102" + "00");
  });

  it("frames a body with size and the right header", () => {
    const body = hex("cafe");
    expect(encodeResponseFrame(ApiKey.Produce, 8, 5, body).toString("hex")).toBe("00000006" + "00000005" + "cafe");
    expect(encodeResponseFrame(ApiKey.Produce, 9, 5, body).toString("hex")).toBe("00000007" + "00000005" + "00" + "cafe");
    expect(encodeResponseFrame(ApiKey.ApiVersions, 3, 5, body).toString("hex")).toBe("00000006" + "00000005" + "cafe");
  });

  it("encodeResponse matches encoding the body then framing it", () => {
    const res = defaultProduceResponse();
    res.responses = [{ name: "t", partitionResponses: [] }];
    for (const version of [3, 9, 11]) {
      const w = new Writer();
      APIS[ApiKey.Produce].response.encode(w, res, version);
      expect(encodeResponse(ApiKey.Produce, version, 77, res)).toEqual(encodeResponseFrame(ApiKey.Produce, version, 77, w.finish()));
    }
  });

  it("has a typed registry with names and ranges", () => {
    expect(APIS[ApiKey.Produce]).toMatchObject({ apiKey: 0, name: "Produce", minVersion: 0, maxVersion: 11, flexibleFrom: 9 });
    expect(APIS[ApiKey.ApiVersions]).toMatchObject({ name: "ApiVersions", flexibleFrom: 3 });
    expect(apiInfo(7777)).toBeUndefined();
    expect(API_LIST.length).toBe(88);
    expect(API_LIST.every((a, i) => i === 0 || a.apiKey > API_LIST[i - 1]!.apiKey)).toBe(true);
    for (const [name, key] of Object.entries(ApiKey)) expect(APIS[key].name).toBe(name);
  });
});

describe("KIP-511 ApiVersions fallback", () => {
  const advertised: ApiVersionRange[] = [
    { apiKey: 0, minVersion: 3, maxVersion: 9 },
    { apiKey: 18, minVersion: 0, maxVersion: 3 },
  ];

  it("answers a too-new ApiVersions with a v0 response carrying UNSUPPORTED_VERSION, body unread", () => {
    // ApiVersions v127 from the future: header v2, then a body we must not try to parse.
    const frame = hex("0012 007f 0000000b 0001 6b 00 ffffffffff");
    const r = new Reader(frame);
    const header = decodeRequestHeader(r);
    expect(header).toMatchObject({ apiKey: 18, apiVersion: 127, correlationId: 11, headerVersion: 2 });
    const out = apiVersionsFallback(header, advertised)!;
    expect(out).not.toBeNull();
    // size, correlation id (header v0), error 35, [ (0,3,9), (18,0,3) ]
    expect(out.toString("hex")).toBe(
      "00000016" + "0000000b" + "0023" + "00000002" + "0000" + "0003" + "0009" + "0012" + "0000" + "0003",
    );
    const body = decodeApiVersionsResponse(new Reader(out.subarray(8)), 0);
    expect(body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(body.apiKeys).toEqual(advertised);
  });

  it("uses the advertised ApiVersions range, else the schema's", () => {
    expect(apiVersionsFallback({ apiKey: 18, apiVersion: 3, correlationId: 1 }, advertised)).toBeNull();
    expect(apiVersionsFallback({ apiKey: 18, apiVersion: 4, correlationId: 1 }, advertised)).not.toBeNull();
    expect(apiVersionsFallback({ apiKey: 18, apiVersion: 4, correlationId: 1 }, [])).toBeNull();
    expect(apiVersionsFallback({ apiKey: 18, apiVersion: 5, correlationId: 1 }, [])).not.toBeNull();
    expect(apiVersionsFallback({ apiKey: 3, apiVersion: 99, correlationId: 1 }, advertised)).toBeNull();
  });

  it("is what kafkajs reads as UNSUPPORTED_VERSION (it then retries lower)", async () => {
    const require = createRequire(import.meta.url);
    const v0 = require("kafkajs/src/protocol/requests/apiVersions/v0/response.js") as {
      decode(raw: Buffer): Promise<unknown>;
    };
    await expect(v0.decode(encodeApiVersionsFallbackBody(advertised))).rejects.toMatchObject({
      type: "UNSUPPORTED_VERSION",
    });
  });
});
