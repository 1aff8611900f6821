import type { MediaSetup } from "../../../src/modules/signaling/signaling.schemas";
import type { ServerToClientEvents } from "../../../src/realtime/events";
import { send, type PodiumSocket } from "../lib/socket";
import type { StreamRole } from "./broadcaster";
import { createLink, framesDecoded, reportStats, type Link } from "./peer";

export interface ReceivedStream {
  role: StreamRole;
  stream: MediaStream;
}

/**
 * The attendee's side: one connection, to the presenter whose offer came last. It answers every offer (the first,
 * a screen share's renegotiation, an ICE restart) and lays out what arrives by the roles the offer announced.
 * After every (re)connection of the socket it drops the old connection and asks for media again: the presenter
 * then offers anew.
 */
export class Viewer {
  private link: Link | null = null;
  private setup: MediaSetup | null = null;
  private roles = new Map<string, StreamRole>();
  private received = new Map<string, MediaStream>();
  private screenActive = false;
  private stopStats: (() => void) | null = null;

  constructor(
    private readonly socket: PodiumSocket,
    private readonly onChange: () => void,
  ) {
    socket.on("media:presenter", this.onPresenter);
    socket.on("signal:description", this.onDescription);
    socket.on("signal:candidate", this.onCandidate);
    socket.on("media:screen", this.onScreen);
  }

  /** Ready for media (after every connection): the presenter, if live, offers. */
  async start(): Promise<void> {
    this.reset();
    this.setup = await send(this.socket, "media:ready", {});
    this.stopStats?.();
    this.stopStats = reportStats(this.setup, this.socket, () => (this.link ? [this.link] : []));
  }

  /** What is playing: the camera and, while shared, the screen. */
  streams(): ReceivedStream[] {
    const out: ReceivedStream[] = [];
    for (const [id, stream] of this.received) {
      const role = this.roles.get(id) ?? "camera";
      if (role === "screen" && !this.screenActive) continue;
      if (stream.getVideoTracks().length === 0) continue;
      out.push({ role, stream });
    }
    return out;
  }

  get state(): RTCPeerConnectionState | "none" {
    return this.link?.pc.connectionState ?? "none";
  }

  /** Frames decoded per role so far (the end-to-end test reads it to know the video really plays). */
  async decoded(): Promise<Partial<Record<StreamRole, number>>> {
    const out: Partial<Record<StreamRole, number>> = {};
    if (!this.link) return out;
    for (const { role, stream } of this.streams()) out[role] = await framesDecoded(this.link.pc, stream);
    return out;
  }

  dispose(): void {
    this.socket.off("media:presenter", this.onPresenter);
    this.socket.off("signal:description", this.onDescription);
    this.socket.off("signal:candidate", this.onCandidate);
    this.socket.off("media:screen", this.onScreen);
    this.stopStats?.();
    this.reset();
    if (this.socket.connected) send(this.socket, "media:leave", {}).catch(() => undefined);
  }

  private reset(): void {
    this.link?.close();
    this.link = null;
    this.received = new Map();
    this.onChange();
  }

  private readonly onPresenter: ServerToClientEvents["media:presenter"] = ({ peerId }) => {
    // `left`: the broadcast stopped; `live`: a new offer follows. Either way this connection is over.
    if (this.link?.peerId === peerId || this.link === null) this.reset();
  };

  private readonly onScreen: ServerToClientEvents["media:screen"] = ({ streamId, active }) => {
    this.roles.set(streamId, "screen");
    this.screenActive = active;
    this.onChange();
  };

  private readonly onCandidate: ServerToClientEvents["signal:candidate"] = ({ from, candidate }) => {
    if (this.link?.peerId === from) void this.link.addCandidate(candidate);
  };

  private readonly onDescription: ServerToClientEvents["signal:description"] = async ({
    from,
    description,
    streams,
  }) => {
    if (description.type !== "offer" || !this.setup) return;
    for (const announced of streams ?? []) {
      this.roles.set(announced.streamId, announced.role);
      if (announced.role === "screen") this.screenActive = true;
    }
    if (streams && !streams.some((s) => s.role === "screen")) this.screenActive = false;
    if (!this.link || this.link.peerId !== from || this.link.pc.connectionState === "closed") {
      this.reset();
      const link = createLink(this.setup, this.socket, from, () => this.onChange());
      link.pc.ontrack = (event) => {
        for (const stream of event.streams) {
          this.received.set(stream.id, stream);
          stream.onremovetrack = () => this.onChange();
        }
        this.onChange();
      };
      this.link = link;
    }
    const link = this.link;
    try {
      await link.setRemote(description);
      const answer = await link.pc.createAnswer();
      await link.pc.setLocalDescription(answer);
      await send(this.socket, "signal:description", {
        to: from,
        description: { type: "answer", sdp: answer.sdp ?? "" },
      });
    } catch {
      // A newer offer or a reset overtook this one.
    }
    this.onChange();
  };
}
