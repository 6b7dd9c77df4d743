import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../protocol/errors.ts";
import { subscription } from "../../coordinator/test-support.ts";
import type { JoinGroupRequest } from "../../protocol/generated/message/JoinGroupRequest.ts";
import { call, testServices, type TestServices } from "./groups-test-support.ts";
import { clientHost, deleteGroupsHandler, describeGroupsHandler, heartbeatHandler, joinGroupHandler, leaveGroupHandler, listGroupsHandler, syncGroupHandler } from "./groups.ts";

function joinReq(o: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: "g",
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    memberId: "",
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: subscription(["orders"]) }],
    reason: null,
    ...o,
  };
}

/** Joins one member at `version` (handling MEMBER_ID_REQUIRED) and syncs it; returns its id. */
async function joinAndSync(t: TestServices, version: number, groupId = "g"): Promise<string> {
  const join = joinGroupHandler(t.services);
  let r = await call(join, 11, version, joinReq({ groupId }));
  if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
    const p = call(join, 11, version, joinReq({ groupId, memberId: r.memberId }));
    t.time.advance(0);
    r = await p;
  } else {
    t.time.advance(0);
  }
  expect(r.errorCode).toBe(0);
  const s = await call(syncGroupHandler(t.services), 14, 5, {
    groupId,
    generationId: r.generationId,
    memberId: r.memberId,
    groupInstanceId: null,
    protocolType: "consumer",
    protocolName: "range",
    assignments: [{ memberId: r.memberId, assignment: Buffer.from("A") }],
  });
  expect(s.errorCode).toBe(0);
  return r.memberId;
}

describe("group handlers", () => {
  it("reports client hosts as Kafka does", () => {
    expect(clientHost("127.0.0.1:5000")).toBe("/127.0.0.1");
    expect(clientHost("::ffff:10.1.2.3:51234")).toBe("/10.1.2.3");
    expect(clientHost("::1:40000")).toBe("/::1");
  });

  it("JoinGroup: every version, MEMBER_ID_REQUIRED from v4, v0's rebalance timeout, the client's id and host", async () => {
    for (const version of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      const t = await testServices();
      const join = joinGroupHandler(t.services);
      const first = call(join, 11, version, joinReq({ rebalanceTimeoutMs: 45_000 }));
      t.time.advance(0);
      let r = await first;
      if (version >= 4) {
        expect(r).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, memberId: "test-client-uuid", generationId: -1, leader: "" });
        expect(r.protocolName).toBe(version >= 7 ? null : "");
        const second = call(join, 11, version, joinReq({ memberId: r.memberId, rebalanceTimeoutMs: 45_000 }));
        t.time.advance(0);
        r = await second;
      }
      expect(r).toMatchObject({ errorCode: 0, generationId: 1, memberId: "test-client-uuid", leader: "test-client-uuid", protocolName: "range" });
      if (version >= 7) expect(r.protocolType).toBe("consumer");
      expect(r.members).toHaveLength(1);
      const member = t.coordinator.manager.getGroup("g")!.get(r.memberId);
      expect(member.clientId).toBe("test-client");
      expect(member.clientHost).toBe("/10.1.2.3");
      expect(member.rebalanceTimeoutMs).toBe(version === 0 ? 10_000 : 45_000);
    }
  });

  it("JoinGroup errors: invalid group id, session timeout", async () => {
    const t = await testServices();
    const join = joinGroupHandler(t.services);
    expect(await call(join, 11, 7, joinReq({ groupId: "" }))).toMatchObject({ errorCode: ErrorCode.INVALID_GROUP_ID, protocolName: null });
    expect((await call(join, 11, 2, joinReq({ sessionTimeoutMs: 10 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
  });

  it("SyncGroup: v5+ must carry protocol type and name", async () => {
    const t = await testServices();
    const sync = syncGroupHandler(t.services);
    const base = { groupId: "g", generationId: 1, memberId: "m", groupInstanceId: null, assignments: [] };
    expect((await call(sync, 14, 5, { ...base, protocolType: null, protocolName: "range" })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await call(sync, 14, 4, { ...base, protocolType: null, protocolName: null })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const id = await joinAndSync(t, 9);
    for (const v of [0, 1, 2, 3, 4, 5]) {
      const r = await call(sync, 14, v, { ...base, memberId: id, protocolType: v >= 5 ? "consumer" : null, protocolName: v >= 5 ? "range" : null });
      expect(r.errorCode).toBe(0);
      expect(r.assignment.toString()).toBe("A");
      if (v >= 5) expect(r).toMatchObject({ protocolType: "consumer", protocolName: "range" });
    }
  });

  it("Heartbeat and LeaveGroup: v0-2 single member, v3+ batch", async () => {
    const t = await testServices();
    const id = await joinAndSync(t, 4);
    const hb = heartbeatHandler(t.services);
    for (const v of [0, 1, 2, 3, 4]) expect((await call(hb, 12, v, { groupId: "g", generationId: 1, memberId: id, groupInstanceId: null })).errorCode).toBe(0);
    expect((await call(hb, 12, 4, { groupId: "g", generationId: 9, memberId: id, groupInstanceId: null })).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    const leave = leaveGroupHandler(t.services);
    expect(await call(leave, 13, 1, { groupId: "g", memberId: "ghost", members: [] })).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] });
    const batch = await call(leave, 13, 5, {
      groupId: "g",
      memberId: "",
      members: [
        { memberId: id, groupInstanceId: null, reason: "bye" },
        { memberId: "ghost", groupInstanceId: null, reason: null },
      ],
    });
    expect(batch).toMatchObject({ errorCode: 0, members: [{ memberId: id, groupInstanceId: null, errorCode: 0 }, { memberId: "ghost", groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID }] });
    expect((await call(leave, 13, 0, { groupId: "", memberId: "x", members: [] })).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
  });

  it("DescribeGroups, ListGroups and DeleteGroups", async () => {
    const t = await testServices();
    const id = await joinAndSync(t, 5);
    const describe = describeGroupsHandler(t.services);
    const d = await call(describe, 15, 5, { groups: ["g", "nope"], includeAuthorizedOperations: true });
    expect(d.groups[0]).toMatchObject({ errorCode: 0, groupId: "g", groupState: "Stable", protocolType: "consumer", protocolData: "range", authorizedOperations: 328 });
    expect(d.groups[0]!.members[0]).toMatchObject({ memberId: id, clientId: "test-client", clientHost: "/10.1.2.3", memberAssignment: Buffer.from("A"), memberMetadata: subscription(["orders"]) });
    expect(d.groups[1]).toMatchObject({ errorCode: 0, groupId: "nope", groupState: "Dead", members: [], authorizedOperations: 328 });
    expect((await call(describe, 15, 0, { groups: ["g"], includeAuthorizedOperations: false })).groups[0]!.groupState).toBe("Stable");

    const list = listGroupsHandler(t.services);
    expect((await call(list, 16, 0, { statesFilter: [], typesFilter: [] })).groups).toEqual([{ groupId: "g", protocolType: "consumer", groupState: "", groupType: "" }]);
    expect((await call(list, 16, 4, { statesFilter: ["Empty"], typesFilter: [] })).groups).toEqual([]);
    expect((await call(list, 16, 5, { statesFilter: ["stable"], typesFilter: ["classic"] })).groups).toEqual([{ groupId: "g", protocolType: "consumer", groupState: "Stable", groupType: "classic" }]);

    const del = deleteGroupsHandler(t.services);
    expect((await call(del, 42, 2, { groupsNames: ["g", "g", "none"] })).results).toEqual([
      { groupId: "g", errorCode: 68 },
      { groupId: "none", errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
  });
});
