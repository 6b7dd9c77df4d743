import { NodeChannel } from "../network/node-channel.ts";

/**
 * A connection to the metadata quorum leader's controller listener, redialled when the
 * leader changes (DescribeQuorum asked of a node that does not lead goes there).
 */
export class QuorumLeaderChannel {
  private current: { leaderId: number; channel: NodeChannel } | null = null;

  constructor(
    private readonly options: {
      nodeId: number;
      /** Each voter's controller listener, host:port. */
      voterAddresses: ReadonlyMap<number, string>;
      leaderId: () => number | null;
      timeoutMs: number;
    },
  ) {}

  /** The channel to the leader, or null while there is none or this node leads. */
  get(): NodeChannel | null {
    const { nodeId, voterAddresses, timeoutMs } = this.options;
    const leaderId = this.options.leaderId();
    const address = leaderId === null || leaderId === nodeId ? undefined : voterAddresses.get(leaderId);
    if (leaderId === null || address === undefined) return null;
    if (this.current?.leaderId !== leaderId) {
      this.current?.channel.close();
      this.current = { leaderId, channel: new NodeChannel(() => address, { clientId: `samsa-quorum-${nodeId}`, timeoutMs }) };
    }
    return this.current.channel;
  }

  close(): void {
    this.current?.channel.close();
    this.current = null;
  }
}
