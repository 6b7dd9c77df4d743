import { ErrorCode } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { LeavingMember } from "../../coordinator/group-coordinator.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

/** Kafka's sentinel for "authorized operations not requested". */
const OPERATIONS_OMITTED = -2147483648;
/**
 * Without an authorizer Kafka reports every operation a group supports: READ (3),
 * DELETE (6) and DESCRIBE (8), as a bit field.
 */
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

/** Kafka reports a member's host as Java's InetAddress.toString(): "/" and the address. */
export function clientHost(remoteAddress: string): string {
  const colon = remoteAddress.lastIndexOf(":");
  let host = colon > 0 ? remoteAddress.slice(0, colon) : remoteAddress;
  if (host.startsWith("::ffff:") && host.includes(".")) host = host.slice("::ffff:".length);
  return `/${host}`;
}

/**
 * JoinGroup: parks until the group's rebalance completes. v0 has no rebalance timeout (the
 * session timeout stands in), v4+ dynamic members first get MEMBER_ID_REQUIRED, v7+
 * answers a missing protocol name as null, v9+ lets a static leader skip the assignment.
 */
export function joinGroupHandler(services: BrokerServices): ApiHandler<11> {
  return async (req, ctx): Promise<ApiResponse<11>> => {
    const version = ctx.header.apiVersion;
    const r = await services.groupCoordinator.joinGroup({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      requireKnownMemberId: version >= 4 && req.groupInstanceId === null,
      supportSkippingAssignment: version >= 9,
      clientId: ctx.header.clientId ?? "",
      clientHost: clientHost(ctx.connection.remoteAddress),
      rebalanceTimeoutMs: version === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      reason: req.reason,
    });
    const protocolName = version < 7 ? (r.protocolName ?? "") : r.protocolName === "" ? null : r.protocolName;
    return {
      throttleTimeMs: 0,
      errorCode: r.error,
      generationId: r.generationId,
      protocolType: r.protocolType,
      protocolName,
      leader: r.leaderId,
      skipAssignment: r.skipAssignment,
      memberId: r.memberId,
      members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
    };
  };
}

/** SyncGroup: the leader's assignment in, each member's part out. v5+ must name the protocol. */
export function syncGroupHandler(services: BrokerServices): ApiHandler<14> {
  return async (req, ctx): Promise<ApiResponse<14>> => {
    if (ctx.header.apiVersion >= 5 && (req.protocolType === null || req.protocolName === null)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    }
    const assignments = new Map<string, Buffer>();
    for (const a of req.assignments) assignments.set(a.memberId, a.assignment);
    const r = await services.groupCoordinator.syncGroup({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      protocolType: req.protocolType,
      protocolName: req.protocolName,
      assignments,
    });
    return { throttleTimeMs: 0, errorCode: r.error, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
  };
}

export function heartbeatHandler(services: BrokerServices): ApiHandler<12> {
  return async (req): Promise<ApiResponse<12>> => ({
    throttleTimeMs: 0,
    errorCode: services.groupCoordinator.heartbeat({ groupId: req.groupId, generationId: req.generationId, memberId: req.memberId, groupInstanceId: req.groupInstanceId }),
  });
}

/** LeaveGroup: one member in v0-2 (its error is the response's), a batch with per-member errors in v3+. */
export function leaveGroupHandler(services: BrokerServices): ApiHandler<13> {
  return async (req, ctx): Promise<ApiResponse<13>> => {
    const version = ctx.header.apiVersion;
    const leaving: LeavingMember[] =
      version >= 3
        ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: m.reason }))
        : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
    const r = services.groupCoordinator.leaveGroup(req.groupId, leaving);
    if (version >= 3) return { throttleTimeMs: 0, errorCode: r.error, members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: m.error })) };
    const errorCode = r.error !== ErrorCode.NONE ? r.error : (r.members[0]?.error ?? ErrorCode.NONE);
    return { throttleTimeMs: 0, errorCode, members: [] };
  };
}

export function describeGroupsHandler(services: BrokerServices): ApiHandler<15> {
  return async (req, ctx): Promise<ApiResponse<15>> => {
    const withOperations = ctx.header.apiVersion >= 3 && req.includeAuthorizedOperations;
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((groupId) => {
        const { error, summary } = services.groupCoordinator.describeGroup(groupId);
        return {
          errorCode: error,
          groupId,
          groupState: summary.state,
          protocolType: summary.protocolType,
          protocolData: summary.protocol,
          members: summary.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: m.metadata,
            memberAssignment: m.assignment,
          })),
          authorizedOperations: withOperations && error === ErrorCode.NONE ? GROUP_OPERATIONS : OPERATIONS_OMITTED,
        };
      }),
    };
  };
}

/** ListGroups: the groups this node coordinates, filtered by state (v4+) and type (v5+). */
export function listGroupsHandler(services: BrokerServices): ApiHandler<16> {
  return async (req): Promise<ApiResponse<16>> => {
    const r = services.groupCoordinator.listGroups(req.statesFilter, req.typesFilter);
    return {
      throttleTimeMs: 0,
      errorCode: r.error,
      groups: r.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.groupType })),
    };
  };
}

/** DeleteGroups: Empty groups only; each group gets its own result. */
export function deleteGroupsHandler(services: BrokerServices): ApiHandler<42> {
  return async (req): Promise<ApiResponse<42>> => {
    const groups = [...new Set(req.groupsNames)];
    const errors = await services.groupCoordinator.deleteGroups(groups);
    return { throttleTimeMs: 0, results: groups.map((groupId) => ({ groupId, errorCode: errors.get(groupId) ?? ErrorCode.UNKNOWN_SERVER_ERROR })) };
  };
}
