import type { LinkRecommendation, MediaSetup } from "../../../src/modules/signaling/signaling.schemas";
import type { ServerToClientEvents } from "../../../src/realtime/events";
import { send, type PodiumSocket } from "../lib/socket";
import { createLink, reportStats, type Link } from "./peer";

export type StreamRole = "camera" | "screen";

/**
 * The presenter's side of a broadcast: one RTCPeerConnection per attendee, each sending every local stream
 * (camera, screen). The server says whom to connect to (`media:ready`'s peers, then `media:peer`); adding or
 * removing a stream renegotiates every link, each offer announcing which stream is the camera and which the
 * screen. Bandwidth recommendations from the server are applied to each link's video senders, and again after
 * every answer: the server sends a recommendation only when it changes, while a renegotiation adds senders (a
 * screen) and a remade link starts without limits.
 */
export class Broadcaster {
  private readonly links = new Map<string, Link>();
  private readonly streams = new Map<StreamRole, MediaStream>();
  /** The last recommendation per attendee peer id, kept while the attendee stays (its link may be remade). */
  private readonly recommendations = new Map<string, LinkRecommendation>();
  private setup: MediaSetup | null = null;
  private stopStats: (() => void) | null = null;

  constructor(
    private readonly socket: PodiumSocket,
    private readonly onChange: () => void,
  ) {
    socket.on("media:peer", this.onPeer);
    socket.on("media:peer-left", this.onPeerLeft);
    socket.on("signal:description", this.onDescription);
    socket.on("signal:candidate", this.onCandidate);
    socket.on("media:bandwidth", this.onBandwidth);
  }

  private readonly onPeer: ServerToClientEvents["media:peer"] = ({ peer, reason }) => {
    const link = this.links.get(peer.peerId);
    if (reason === "restart" && link) void this.offer(link, true);
    else this.connect(peer.peerId);
  };
  private readonly onPeerLeft: ServerToClientEvents["media:peer-left"] = ({ peerId }) => {
    this.recommendations.delete(peerId);
    this.drop(peerId);
  };
  private readonly onDescription: ServerToClientEvents["signal:description"] = ({ from, description }) => {
    const link = this.links.get(from);
    if (!link || description.type !== "answer") return;
    link.setRemote(description).then(
      () => this.applyBandwidth(from),
      () => undefined,
    );
  };
  private readonly onCandidate: ServerToClientEvents["signal:candidate"] = ({ from, candidate }) => {
    void this.links.get(from)?.addCandidate(candidate);
  };
  private readonly onBandwidth: ServerToClientEvents["media:bandwidth"] = ({ links }) => {
    for (const recommendation of links) {
      this.recommendations.set(recommendation.peerId, recommendation);
      this.applyBandwidth(recommendation.peerId);
    }
  };

  /** Goes live for media (again after every reconnection): ICE servers, then a link to every ready attendee. */
  async start(): Promise<MediaSetup> {
    for (const peerId of [...this.links.keys()]) this.drop(peerId);
    const setup = await send(this.socket, "media:ready", {});
    this.setup = setup;
    for (const peer of setup.peers) this.connect(peer.peerId);
    this.stopStats?.();
    this.stopStats = reportStats(setup, this.socket, () => this.links.values());
    this.onChange();
    return setup;
  }

  get live(): boolean {
    return this.setup !== null;
  }

  /** This presenter's peer id for media (from `media:ready`), while live. */
  get peerId(): string | null {
    return this.setup?.peerId ?? null;
  }

  stream(role: StreamRole): MediaStream | null {
    return this.streams.get(role) ?? null;
  }

  /**
   * Connection states of the links, by attendee peer id, with how long each took to connect (from its creation,
   * when its first offer is made, to its first `connected`; null until then).
   */
  states(): Array<{ peerId: string; state: RTCPeerConnectionState; connectMs: number | null }> {
    return [...this.links.values()].map((link) => ({
      peerId: link.peerId,
      state: link.pc.connectionState,
      connectMs: link.connectedAt === null ? null : link.connectedAt - link.createdAt,
    }));
  }

  /** The encoding limits last recommended by the server for this attendee's link (applied to its video). */
  recommendation(peerId: string): LinkRecommendation | null {
    return this.recommendations.get(peerId) ?? null;
  }

  /** Restarts ICE on one link (new ICE credentials, the media unchanged), as when its own side fails. */
  async restartIce(peerId: string): Promise<void> {
    const link = this.links.get(peerId);
    if (link) await this.offer(link, true);
  }

  /** Adds (or replaces) a local stream on every link; a screen is announced first (the server may refuse it). */
  async addStream(role: StreamRole, stream: MediaStream): Promise<void> {
    if (role === "screen") await send(this.socket, "media:screen", { action: "start", streamId: stream.id });
    const previous = this.streams.get(role);
    this.streams.set(role, stream);
    for (const link of this.links.values()) {
      if (previous) this.removeTracks(link, previous);
      for (const track of stream.getTracks()) link.pc.addTrack(track, stream);
    }
    previous?.getTracks().forEach((track) => track.stop());
    this.onChange();
  }

  /** Stops a local stream and takes it off every link (renegotiated); a screen's end is announced. */
  async removeStream(role: StreamRole): Promise<void> {
    const stream = this.streams.get(role);
    if (!stream) return;
    this.streams.delete(role);
    for (const link of this.links.values()) this.removeTracks(link, stream);
    stream.getTracks().forEach((track) => track.stop());
    if (role === "screen")
      await send(this.socket, "media:screen", { action: "stop", streamId: stream.id }).catch(() => undefined);
    this.onChange();
  }

  /** Leaves media (the session ended or the presenter stopped): links closed, devices released. */
  async stop(): Promise<void> {
    this.stopStats?.();
    this.stopStats = null;
    for (const peerId of [...this.links.keys()]) this.drop(peerId);
    this.recommendations.clear();
    for (const role of [...this.streams.keys()]) await this.removeStream(role);
    if (this.setup && this.socket.connected)
      await send(this.socket, "media:leave", {}).catch(() => undefined);
    this.setup = null;
    this.onChange();
  }

  dispose(): void {
    this.stopStats?.();
    this.socket.off("media:peer", this.onPeer);
    this.socket.off("media:peer-left", this.onPeerLeft);
    this.socket.off("signal:description", this.onDescription);
    this.socket.off("signal:candidate", this.onCandidate);
    this.socket.off("media:bandwidth", this.onBandwidth);
    for (const peerId of [...this.links.keys()]) this.drop(peerId);
    for (const stream of this.streams.values()) stream.getTracks().forEach((track) => track.stop());
  }

  private connect(peerId: string): void {
    if (!this.setup) return;
    this.drop(peerId);
    const link = createLink(this.setup, this.socket, peerId, (changed) => {
      // A presenter whose own side fails restarts ICE itself.
      if (changed.pc.connectionState === "failed") void this.offer(changed, true);
      this.onChange();
    });
    this.links.set(peerId, link);
    for (const stream of this.streams.values())
      for (const track of stream.getTracks()) link.pc.addTrack(track, stream);
    link.pc.onnegotiationneeded = () => void this.offer(link);
    this.onChange();
  }

  private drop(peerId: string): void {
    this.links.get(peerId)?.close();
    if (this.links.delete(peerId)) this.onChange();
  }

  private removeTracks(link: Link, stream: MediaStream): void {
    const ids = new Set(stream.getTracks().map((track) => track.id));
    for (const sender of link.pc.getSenders())
      if (sender.track && ids.has(sender.track.id)) link.pc.removeTrack(sender);
  }

  private async offer(link: Link, iceRestart = false): Promise<void> {
    if (this.links.get(link.peerId) !== link || link.pc.signalingState === "closed") return;
    try {
      const description = await link.pc.createOffer(iceRestart ? { iceRestart: true } : {});
      await link.pc.setLocalDescription(description);
      await send(this.socket, "signal:description", {
        to: link.peerId,
        description: { type: "offer", sdp: description.sdp ?? "" },
        streams: [...this.streams].map(([role, stream]) => ({ streamId: stream.id, role })),
        ...(iceRestart && { iceRestart: true }),
      });
    } catch {
      // The link is being replaced or the attendee left; the next `media:peer` starts it again.
    }
  }

  private applyBandwidth(peerId: string): void {
    const link = this.links.get(peerId);
    const r = this.recommendations.get(peerId);
    if (!link || !r) return;
    for (const sender of link.pc.getSenders()) {
      if (!sender.track || sender.track.kind !== "video") continue;
      const parameters = sender.getParameters();
      const encoding = parameters.encodings?.[0];
      if (!encoding) continue;
      const height = sender.track.getSettings().height ?? r.maxHeight;
      encoding.maxBitrate = r.maxBitrateKbps * 1000;
      encoding.maxFramerate = r.maxFramerate;
      encoding.scaleResolutionDownBy = Math.max(1, height / r.maxHeight);
      sender.setParameters(parameters).catch(() => undefined);
    }
  }
}
