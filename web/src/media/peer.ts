import type { MediaSetup } from "../../../src/modules/signaling/signaling.schemas";
import { send, type PodiumSocket } from "../lib/socket";

/**
 * One RTCPeerConnection to one other peer, with the signaling every link needs (docs/REALTIME.md, "WebRTC
 * signaling"): candidates trickled to the other end, candidates that arrive before the remote description held
 * back until it is set, and the connection state reported to the server on every change.
 */
export interface Link {
  readonly pc: RTCPeerConnection;
  readonly peerId: string;
  connectedAt: number | null;
  readonly createdAt: number;
  setRemote(description: RTCSessionDescriptionInit): Promise<void>;
  addCandidate(candidate: RTCIceCandidateInit | null): Promise<void>;
  close(): void;
}

export function createLink(
  setup: MediaSetup,
  socket: PodiumSocket,
  peerId: string,
  onState: (link: Link) => void,
): Link {
  const pc = new RTCPeerConnection({ iceServers: setup.iceServers as RTCIceServer[] });
  const pending: Array<RTCIceCandidateInit | null> = [];
  let remoteSet = false;
  const link: Link = {
    pc,
    peerId,
    connectedAt: null,
    createdAt: performance.now(),
    async setRemote(description) {
      await pc.setRemoteDescription(description);
      remoteSet = true;
      for (const candidate of pending.splice(0)) await link.addCandidate(candidate);
    },
    async addCandidate(candidate) {
      if (!remoteSet) return void pending.push(candidate);
      await pc.addIceCandidate(candidate ?? undefined).catch(() => undefined);
    },
    close() {
      pc.onicecandidate = null;
      pc.onconnectionstatechange = null;
      pc.close();
    },
  };
  pc.onicecandidate = (event) => {
    const candidate = event.candidate ? (event.candidate.toJSON() as RTCIceCandidateInit) : null;
    send(socket, "signal:candidate", {
      to: peerId,
      candidate: candidate && {
        candidate: candidate.candidate ?? "",
        ...(candidate.sdpMid != null && { sdpMid: candidate.sdpMid }),
        ...(candidate.sdpMLineIndex != null && { sdpMLineIndex: candidate.sdpMLineIndex }),
        ...(candidate.usernameFragment != null && { usernameFragment: candidate.usernameFragment }),
      },
    }).catch(() => undefined);
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === "connected" && link.connectedAt === null) link.connectedAt = performance.now();
    send(socket, "media:state", { peerId, state: pc.connectionState }).catch(() => undefined);
    onState(link);
  };
  return link;
}

interface Figures {
  rttMs?: number;
  jitterMs?: number;
  packetLossPct?: number;
  fps?: number;
  bytes: number;
}

async function figuresOf(pc: RTCPeerConnection): Promise<Figures> {
  const out: Figures = { bytes: 0 };
  (await pc.getStats()).forEach((s: Record<string, number | string | boolean | undefined>) => {
    if (s.type === "candidate-pair" && s.nominated && typeof s.currentRoundTripTime === "number")
      out.rttMs = s.currentRoundTripTime * 1000;
    if (s.type === "inbound-rtp" && s.kind === "video") {
      out.jitterMs = Number(s.jitter ?? 0) * 1000;
      const lost = Number(s.packetsLost ?? 0);
      const received = Number(s.packetsReceived ?? 0);
      out.packetLossPct = lost + received > 0 ? (100 * lost) / (lost + received) : 0;
      out.fps = Number(s.framesPerSecond ?? 0);
      out.bytes += Number(s.bytesReceived ?? 0);
    }
    if (s.type === "remote-inbound-rtp" && s.kind === "video") {
      out.jitterMs = Number(s.jitter ?? 0) * 1000;
      out.packetLossPct = Math.min(100, Math.max(0, Number(s.fractionLost ?? 0) * 100));
    }
    if (s.type === "outbound-rtp" && s.kind === "video") {
      if (typeof s.framesPerSecond === "number") out.fps = s.framesPerSecond;
      out.bytes += Number(s.bytesSent ?? 0);
    }
  });
  return out;
}

/** Every `statsIntervalMs`, one `media:stats` per connected link from its getStats() (bitrate from bytes). */
export function reportStats(
  setup: MediaSetup,
  socket: PodiumSocket,
  links: () => Iterable<Link>,
): () => void {
  const lastBytes = new WeakMap<RTCPeerConnection, number>();
  const timer = setInterval(async () => {
    for (const link of links()) {
      if (link.pc.connectionState !== "connected") continue;
      const figures = await figuresOf(link.pc).catch(() => null);
      if (!figures) continue;
      const before = lastBytes.get(link.pc) ?? figures.bytes;
      lastBytes.set(link.pc, figures.bytes);
      const clamp = (value: number | undefined, max: number) =>
        value === undefined || !Number.isFinite(value) ? undefined : Math.min(max, Math.max(0, value));
      const report = {
        peerId: link.peerId,
        bitrateKbps: clamp(((figures.bytes - before) * 8) / setup.statsIntervalMs, 1_000_000),
        rttMs: clamp(figures.rttMs, 60_000),
        jitterMs: clamp(figures.jitterMs, 60_000),
        packetLossPct: clamp(figures.packetLossPct, 100),
        fps: clamp(figures.fps, 240),
      };
      send(
        socket,
        "media:stats",
        Object.fromEntries(Object.entries(report).filter(([, v]) => v !== undefined)) as typeof report,
      ).catch(() => undefined);
    }
  }, setup.statsIntervalMs);
  return () => clearInterval(timer);
}

/** Frames decoded so far for a received stream's video tracks (what the browser really played). */
export async function framesDecoded(pc: RTCPeerConnection, stream: MediaStream): Promise<number> {
  const tracks = new Set(stream.getVideoTracks().map((track) => track.id));
  let frames = 0;
  for (const receiver of pc.getReceivers()) {
    if (!tracks.has(receiver.track.id)) continue;
    (await receiver.getStats()).forEach((s: Record<string, unknown>) => {
      if (s.type === "inbound-rtp" && typeof s.framesDecoded === "number") frames += s.framesDecoded;
    });
  }
  return frames;
}
