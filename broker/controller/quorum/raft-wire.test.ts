import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../protocol/errors.ts";
import { APIS, type ApiKeyValue, type ApiRequest, type ApiResponse } from "../../protocol/generated/apis.ts";
import { Reader } from "../../protocol/primitives/reader.ts";
import { Writer } from "../../protocol/primitives/writer.ts";
import {
  beginQuorumEpochRequestFromWire,
  beginQuorumEpochRequestToWire,
  describeQuorumResponseToWire,
  endQuorumEpochRequestFromWire,
  endQuorumEpochRequestToWire,
  fetchRequestFromWire,
  fetchRequestToWire,
  fetchResponseFromWire,
  fetchResponseToWire,
  quorumEpochResponseFromWire,
  quorumEpochResponseToWire,
  voteRequestFromWire,
  voteRequestToWire,
  voteResponseFromWire,
  voteResponseToWire,
} from "./raft-wire.ts";

/** Encodes a request body at `version` with the generated codec and decodes it back, as the peer would. */
function requestOnWire<K extends ApiKeyValue>(apiKey: K, version: number, body: Partial<ApiRequest<K>>): ApiRequest<K> {
  const api = APIS[apiKey];
  const w = new Writer();
  api.request.encode(w, { ...api.request.defaults(), ...body } as never, version);
  return api.request.decode(new Reader(w.finish()), version) as ApiRequest<K>;
}

function responseOnWire<K extends ApiKeyValue>(apiKey: K, version: number, body: ApiResponse<K>): ApiResponse<K> {
  const api = APIS[apiKey];
  const w = new Writer();
  api.response.encode(w, body as never, version);
  return api.response.decode(new Reader(w.finish()), version) as ApiResponse<K>;
}

describe("the Raft RPCs on Kafka 3.9's wire", () => {
  it("carries a vote at v0 and v1; a pre-vote cannot be expressed and arrives as a vote", () => {
    const vote = { candidateEpoch: 7, candidateId: 2, lastOffsetEpoch: 6, lastOffset: 120n, preVote: false };
    for (const version of [0, 1]) {
      const req = requestOnWire(52, version, voteRequestToWire("cluster-x", 1, vote));
      expect(req.clusterId).toBe("cluster-x");
      expect(voteRequestFromWire(req)).toEqual(vote);
      const answer = { errorCode: ErrorCode.NONE, leaderId: -1, leaderEpoch: 7, voteGranted: true };
      expect(voteResponseFromWire(responseOnWire(52, version, voteResponseToWire(answer)))).toEqual(answer);
    }
    expect(voteRequestFromWire(requestOnWire(52, 1, voteRequestToWire("c", 1, { ...vote, preVote: true }))).preVote).toBe(false);
  });

  it("names preferred successors in EndQuorumEpoch v0 (ids) and v1 (PreferredCandidates), in order", () => {
    const end = { leaderId: 0, leaderEpoch: 3, preferredSuccessors: [2, 1] };
    for (const version of [0, 1]) {
      expect(endQuorumEpochRequestFromWire(requestOnWire(54, version, endQuorumEpochRequestToWire("c", end, { name: "CONTROLLER", host: "h", port: 9 })))).toEqual(end);
    }
    const v1 = requestOnWire(54, 1, endQuorumEpochRequestToWire("c", end, { name: "CONTROLLER", host: "h", port: 9 }));
    expect(v1.topics[0]!.partitions[0]!.preferredCandidates.map((c) => c.candidateId)).toEqual([2, 1]);
    expect(v1.leaderEndpoints).toEqual([{ name: "CONTROLLER", host: "h", port: 9 }]);
  });

  it("carries BeginQuorumEpoch with the voter id and leader endpoints at v1, and both epoch answers", () => {
    const begin = { leaderId: 2, leaderEpoch: 4 };
    const v1 = requestOnWire(53, 1, beginQuorumEpochRequestToWire("c", 0, begin, { name: "CONTROLLER", host: "h", port: 9 }));
    expect(v1.voterId).toBe(0);
    expect(v1.leaderEndpoints).toEqual([{ name: "CONTROLLER", host: "h", port: 9 }]);
    expect(beginQuorumEpochRequestFromWire(requestOnWire(53, 0, beginQuorumEpochRequestToWire("c", 0, begin, null)))).toEqual(begin);
    const answer = { errorCode: ErrorCode.FENCED_LEADER_EPOCH, leaderId: 1, leaderEpoch: 5 };
    expect(quorumEpochResponseFromWire(responseOnWire(53, 1, quorumEpochResponseToWire(answer)))).toEqual(answer);
    expect(quorumEpochResponseFromWire(responseOnWire(54, 0, quorumEpochResponseToWire(answer)))).toEqual(answer);
  });

  it("fetches __cluster_metadata-0 at v15+ with ReplicaState, and maps DivergingEpoch and CurrentLeader back", () => {
    const fetch = { replicaId: 2, currentLeaderEpoch: 5, fetchOffset: 40n, lastFetchedEpoch: 4, maxWaitMs: 500, maxBytes: 1024 };
    const req = requestOnWire(1, 15, fetchRequestToWire("c", fetch));
    expect(req.replicaState.replicaId).toBe(2);
    expect(req.topics[0]!.topicId).toBe("AAAAAAAAAAAAAAAAAAAAAQ");
    expect(fetchRequestFromWire(req)).toEqual(fetch);

    const topic = { topic: "", topicId: req.topics[0]!.topicId };
    const diverging = { errorCode: ErrorCode.NONE, leaderId: 0, leaderEpoch: 5, highWatermark: 30n, divergingEpoch: { epoch: 3, endOffset: 35n }, records: Buffer.alloc(0) };
    expect(fetchResponseFromWire(responseOnWire(1, 16, fetchResponseToWire(topic, diverging)))).toEqual(diverging);
    // A fetcher with no common history truncates to the start: epoch -1, end offset 0 is a divergence too.
    const fromStart = { ...diverging, divergingEpoch: { epoch: -1, endOffset: 0n } };
    expect(fetchResponseFromWire(responseOnWire(1, 15, fetchResponseToWire(topic, fromStart))).divergingEpoch).toEqual({ epoch: -1, endOffset: 0n });
    const plain = { ...diverging, divergingEpoch: null, records: Buffer.from([1, 2, 3]) };
    expect(fetchResponseFromWire(responseOnWire(1, 16, fetchResponseToWire(topic, plain)))).toEqual(plain);
  });

  it("describes the quorum at v2 with every voter's and observer's progress and the voters' endpoints", () => {
    const progress = (nodeId: number, leo: bigint) => ({ nodeId, logEndOffset: leo, lastFetchTimestamp: 1000, lastCaughtUpTimestamp: 900, lastFetchLeaderLogEndOffset: leo });
    const res = responseOnWire(
      55,
      2,
      describeQuorumResponseToWire(
        { leaderId: 1, leaderEpoch: 3, highWatermark: 50n, voters: [progress(0, 50n), progress(1, 50n)], observers: [progress(5, 20n)] },
        new Map([[0, { name: "CONTROLLER", host: "h", port: 9 }]]),
      ),
    );
    const p = res.topics[0]!.partitions[0]!;
    expect([p.leaderId, p.leaderEpoch, p.highWatermark]).toEqual([1, 3, 50n]);
    expect(p.currentVoters.map((v) => [v.replicaId, v.logEndOffset, v.lastFetchTimestamp, v.lastCaughtUpTimestamp])).toEqual([
      [0, 50n, 1000n, 900n],
      [1, 50n, 1000n, 900n],
    ]);
    expect(p.observers.map((o) => o.replicaId)).toEqual([5]);
    expect(res.nodes).toEqual([{ nodeId: 0, listeners: [{ name: "CONTROLLER", host: "h", port: 9 }] }]);
  });
});
