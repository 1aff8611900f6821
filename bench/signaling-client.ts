/**
 * The signaling benchmark's clients, in a process of their own (signaling-bench.ts starts it once per server and
 * round): one presenter and N attendees of session A, plus a bystander session B (a presenter and M attendees) that
 * must receive nothing. Against Podium (`mode: "podium"`: tokens, `media:ready`, the real protocol) or against the
 * raw Socket.io relay (signaling-raw.ts: the same events, relayed by `to` with no validation, no auth, no state).
 *
 * Phases: "go-live" (the presenter offers to every attendee at once; each answers and trickles 3 candidates and the
 * end of candidates, so does the presenter), then "steady" (one candidate every 1/rate s, alternately presenter →
 * attendee i and attendee i → presenter, round robin), then "real peers" (K attendees and the presenter as
 * @roamhq/wrtc peer connections with a data channel, signalled through the server: offer → connected).
 *
 * Every message names its addressee inside its payload (the SDP's s= line, the candidate's foundation): a message
 * that reaches any other socket, or comes from another sender than the one it names, is misrouted.
 *
 *   node --import tsx bench/signaling-client.ts <config.json>   → writes config.resultFile, prints `signaling-client done`
 */
import { readFile, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type * as WrtcModule from "@roamhq/wrtc";
import { io, type Socket } from "socket.io-client";

export interface ClientConfig {
  mode: "podium" | "raw";
  url: string;
  sessionA: string;
  sessionB: string;
  /** Podium: the host's bearer token (presenter of A and of B) and the attendees' tokens. */
  hostToken?: string;
  tokensA: string[];
  tokensB: string[];
  steadySeconds: number;
  steadyRate: number;
  wrtcPeers: number;
  /** Where the result goes (JSON); the process prints `signaling-client done` once it is written. */
  resultFile: string;
}

export interface Latencies {
  sent: number;
  received: number;
  /** Receive time − send time, ms, one per delivered message. */
  ms: number[];
  refused: Record<string, number>;
}

export interface ClientResult {
  mode: ClientConfig["mode"];
  attendees: number;
  bystanders: number;
  goLive: Latencies & { wallMs: number };
  steady: Latencies & { wallMs: number; intendedRate: number };
  misrouted: number;
  misroutedExamples: string[];
  realPeers: { attempted: number; connected: number; connectMs: number[]; error?: string };
  cpuMs: number;
}

type Ack = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } };

const SDP_PAD = "a=x-bench:" + "0123456789abcdef".repeat(180) + "\r\n"; // ~3 KiB, a camera offer's size

function sdpFor(to: string, seq: number): string {
  return `v=0\r\no=- ${seq} 2 IN IP4 127.0.0.1\r\ns=${to}\r\nt=0 0\r\n${SDP_PAD}`;
}
const candidateFor = (to: string, seq: number) =>
  `candidate:${to}-${seq} 1 udp 2122260223 127.0.0.1 ${40_000 + (seq % 20_000)} typ host generation 0`;

function addresseeOf(payload: { description?: { sdp: string }; candidate?: { candidate: string } | null }) {
  if (payload.description) return /\r\ns=([^\r]+)\r\n/.exec(payload.description.sdp)?.[1];
  if (payload.candidate) return /^candidate:([0-9a-zp]+)-/.exec(payload.candidate.candidate)?.[1];
  return undefined;
}
const seqOf = (payload: { description?: { sdp: string }; candidate?: { candidate: string } | null }) =>
  Number(
    payload.description
      ? /^v=0\r\no=- (\d+) /.exec(payload.description.sdp)?.[1]
      : /-(\d+) 1 udp/.exec(payload.candidate?.candidate ?? "")?.[1],
  );

function emitAck(socket: Socket, event: string, payload: unknown): Promise<Ack> {
  return new Promise((resolve) => socket.emit(event, payload, (answer: Ack) => resolve(answer)));
}

async function connectAll(
  config: ClientConfig,
  sessionId: string,
  auths: Array<{ token?: string; peerId?: string }>,
): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < auths.length; i += 50) {
    const batch = auths.slice(i, i + 50).map(
      (auth) =>
        new Promise<Socket>((resolve, reject) => {
          const socket = io(config.url, {
            transports: ["websocket"],
            auth: { sessionId, ...auth },
            reconnection: false,
            forceNew: true,
          });
          socket.once("connect_error", (e: Error & { data?: unknown }) =>
            reject(new Error(`connect: ${e.message} ${JSON.stringify(e.data)}`)),
          );
          socket.once(config.mode === "podium" ? "session:snapshot" : "connect", () => resolve(socket));
        }),
    );
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

async function main(): Promise<void> {
  const config = JSON.parse(await readFile(process.argv[2]!, "utf8")) as ClientConfig;
  const cpuStart = process.cpuUsage();
  const rawIds = (n: number) => Array.from({ length: n }, () => randomBytes(16).toString("hex"));
  const rawPresenter = () => `p${randomBytes(16).toString("hex").slice(0, 31)}`;

  // Connect: presenter A, attendees A, presenter B, attendees B.
  const idsA = config.mode === "raw" ? rawIds(config.tokensA.length) : [];
  const idsB = config.mode === "raw" ? rawIds(config.tokensB.length) : [];
  const presenterIds = config.mode === "raw" ? [rawPresenter(), rawPresenter()] : [];
  const auth = (i: number, tokens: string[], ids: string[]) =>
    config.mode === "podium" ? { token: tokens[i] } : { peerId: ids[i] };
  const [presenterA] = await connectAll(config, config.sessionA, [
    config.mode === "podium" ? { token: config.hostToken } : { peerId: presenterIds[0] },
  ]);
  const attendeesA = await connectAll(
    config,
    config.sessionA,
    config.tokensA.map((_, i) => auth(i, config.tokensA, idsA)),
  );
  const [presenterB] = await connectAll(config, config.sessionB, [
    config.mode === "podium" ? { token: config.hostToken } : { peerId: presenterIds[1] },
  ]);
  const attendeesB = await connectAll(
    config,
    config.sessionB,
    config.tokensB.map((_, i) => auth(i, config.tokensB, idsB)),
  );

  // Ready: peer ids as the server knows them.
  const readyAll = async (sockets: Socket[], fallback: string[]) =>
    Promise.all(
      sockets.map(async (socket, i) => {
        const answer = await emitAck(socket, "media:ready", {});
        if (!answer.ok) throw new Error(`media:ready: ${answer.error.code} ${answer.error.message}`);
        return (answer.data as { peerId: string } | null)?.peerId ?? fallback[i]!;
      }),
    );
  const peersA = await readyAll(attendeesA, idsA);
  await readyAll(attendeesB, idsB);
  const [presenterPeerA] = await readyAll([presenterA!], presenterIds.slice(0, 1));
  await readyAll([presenterB!], presenterIds.slice(1));

  let misrouted = 0;
  const misroutedExamples: string[] = [];
  const wrong = (what: string) => {
    misrouted += 1;
    if (misroutedExamples.length < 5) misroutedExamples.push(what);
  };
  type Phase = "goLive" | "steady";
  let phase: Phase = "goLive";
  const sentAt = new Map<number, number>();
  const stats: Record<Phase, Latencies> = {
    goLive: { sent: 0, received: 0, ms: [], refused: {} },
    steady: { sent: 0, received: 0, ms: [], refused: {} },
  };
  let seq = 0;
  const onRelayed =
    (me: string, expectedFrom: (from: string) => boolean, onMessage?: (from: string, kind: string) => void) =>
    (kind: string) =>
    (payload: {
      from: string;
      description?: { sdp: string; type: string };
      candidate?: { candidate: string } | null;
    }) => {
      const now = performance.now();
      if (payload.candidate === null) return; // end of candidates: no addressee inside
      const to = addresseeOf(payload);
      if (to !== me || !expectedFrom(payload.from))
        return wrong(`${kind} for ${to} from ${payload.from} at ${me}`);
      const n = seqOf(payload);
      const t0 = sentAt.get(n);
      if (t0 !== undefined) {
        sentAt.delete(n);
        stats[phase].received += 1;
        stats[phase].ms.push(now - t0);
      }
      onMessage?.(payload.from, kind === "description" ? payload.description!.type : kind);
    };
  const send = (socket: Socket, event: string, payload: unknown, n: number) => {
    sentAt.set(n, performance.now());
    stats[phase].sent += 1;
    socket.emit(event, payload, (answer: Ack) => {
      if (answer.ok) return;
      sentAt.delete(n);
      stats[phase].refused[answer.error.code] = (stats[phase].refused[answer.error.code] ?? 0) + 1;
    });
  };
  const candidates = (socket: Socket, to: string) => {
    for (let c = 0; c < 3; c++) {
      const n = ++seq;
      send(
        socket,
        "signal:candidate",
        { to, candidate: { candidate: candidateFor(to, n), sdpMid: "0", sdpMLineIndex: 0 } },
        n,
      );
    }
    socket.emit("signal:candidate", { to, candidate: null }, () => undefined);
  };

  // Attendees of A answer offers; bystanders must hear nothing.
  const peerSet = new Set(peersA);
  attendeesA.forEach((socket, i) => {
    const me = peersA[i]!;
    const handle = onRelayed(
      me,
      (from) => from === presenterPeerA,
      (from, kind) => {
        if (kind !== "offer") return;
        const n = ++seq;
        send(
          socket,
          "signal:description",
          { to: from, description: { type: "answer", sdp: sdpFor(from, n) } },
          n,
        );
        candidates(socket, from);
      },
    );
    socket.on("signal:description", handle("description"));
    socket.on("signal:candidate", handle("candidate"));
  });
  for (const socket of [presenterB!, ...attendeesB]) {
    socket.on("signal:description", (p: { from: string }) =>
      wrong(`bystander got a description from ${p.from}`),
    );
    socket.on("signal:candidate", (p: { from: string }) => wrong(`bystander got a candidate from ${p.from}`));
  }
  const presenterHandle = onRelayed(
    presenterPeerA!,
    (from) => peerSet.has(from),
    (from, kind) => {
      if (kind === "answer" && phase === "goLive") candidates(presenterA!, from);
    },
  );
  presenterA!.on("signal:description", presenterHandle("description"));
  presenterA!.on("signal:candidate", presenterHandle("candidate"));

  // Go-live: every offer at once; done when every message sent has arrived (or 20 s).
  const goLiveStart = performance.now();
  for (const to of peersA) {
    const n = ++seq;
    send(presenterA!, "signal:description", { to, description: { type: "offer", sdp: sdpFor(to, n) } }, n);
  }
  const expected = peersA.length * 8; // offer, answer, 3 + 3 candidates
  for (let waited = 0; stats.goLive.received < expected && waited < 20_000; waited += 5) await sleep(5);
  const goLiveWall = performance.now() - goLiveStart;
  await sleep(500);

  // Steady: paced candidates, alternating directions, round robin over the attendees.
  phase = "steady";
  const total = Math.round(config.steadySeconds * config.steadyRate);
  const intervalMs = 1000 / config.steadyRate;
  const steadyStart = performance.now();
  for (let k = 0; k < total; k++) {
    const due = steadyStart + k * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const i = Math.floor(k / 2) % peersA.length;
    const n = ++seq;
    if (k % 2 === 0) {
      const to = peersA[i]!;
      send(
        presenterA!,
        "signal:candidate",
        { to, candidate: { candidate: candidateFor(to, n), sdpMid: "0", sdpMLineIndex: 0 } },
        n,
      );
    } else {
      send(
        attendeesA[i]!,
        "signal:candidate",
        {
          to: presenterPeerA,
          candidate: { candidate: candidateFor(presenterPeerA!, n), sdpMid: "0", sdpMLineIndex: 0 },
        },
        n,
      );
    }
  }
  const steadyWall = performance.now() - steadyStart;
  for (
    let waited = 0;
    stats.steady.received < stats.steady.sent - sum(stats.steady.refused) && waited < 5_000;
    waited += 5
  )
    await sleep(5);
  await sleep(500);

  const realPeers = await runRealPeers(config, presenterA!, presenterPeerA!, attendeesA, peersA);

  for (const socket of [presenterA!, presenterB!, ...attendeesA, ...attendeesB]) socket.close();
  const cpu = process.cpuUsage(cpuStart);
  const result: ClientResult = {
    mode: config.mode,
    attendees: attendeesA.length,
    bystanders: attendeesB.length + 1,
    goLive: { ...stats.goLive, wallMs: goLiveWall },
    steady: { ...stats.steady, wallMs: steadyWall, intendedRate: config.steadyRate },
    misrouted,
    misroutedExamples,
    realPeers,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
  await writeFile(config.resultFile, JSON.stringify(result));
  console.log("signaling-client done");
}

type IceEvent = {
  candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null } | null;
};
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * Real WebRTC peers (@roamhq/wrtc): the presenter and K attendees open a data channel over loopback, signalled
 * through the server with their real SDP and candidates; offer → both ends `connected`.
 */
async function runRealPeers(
  config: ClientConfig,
  presenter: Socket,
  presenterPeerId: string,
  attendees: Socket[],
  peerIds: string[],
): Promise<ClientResult["realPeers"]> {
  const k = Math.min(config.wrtcPeers, attendees.length);
  if (k === 0) return { attempted: 0, connected: 0, connectMs: [] };
  let wrtc: typeof WrtcModule;
  try {
    wrtc = (await import("@roamhq/wrtc")).default as unknown as typeof WrtcModule;
  } catch (error) {
    return { attempted: 0, connected: 0, connectMs: [], error: `@roamhq/wrtc: ${(error as Error).message}` };
  }
  const { RTCPeerConnection } = wrtc;
  const closers: Array<() => void> = [];
  const offers = new Map<string, InstanceType<typeof RTCPeerConnection>>();
  const toJson = (c: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null }) => ({
    candidate: c.candidate,
    sdpMid: c.sdpMid ?? null,
    sdpMLineIndex: c.sdpMLineIndex ?? null,
  });
  presenter.removeAllListeners("signal:description");
  presenter.removeAllListeners("signal:candidate");
  presenter.on("signal:description", (p: { from: string; description: { type: "answer"; sdp: string } }) => {
    void offers.get(p.from)?.setRemoteDescription(p.description);
  });
  presenter.on("signal:candidate", (p: { from: string; candidate: { candidate: string } | null }) => {
    if (p.candidate)
      void offers
        .get(p.from)
        ?.addIceCandidate(p.candidate)
        .catch(() => undefined);
  });
  const connectMs: number[] = [];
  const links = Array.from({ length: k }, async (_, i) => {
    const attendee = attendees[i]!;
    const peerId = peerIds[i]!;
    const answerer = new RTCPeerConnection({ iceServers: [] });
    const offerer = new RTCPeerConnection({ iceServers: [] });
    closers.push(
      () => answerer.close(),
      () => offerer.close(),
    );
    offers.set(peerId, offerer);
    attendee.removeAllListeners("signal:description");
    attendee.removeAllListeners("signal:candidate");
    attendee.on("signal:description", async (p: { description: { type: "offer"; sdp: string } }) => {
      await answerer.setRemoteDescription(p.description);
      const answer = await answerer.createAnswer();
      await answerer.setLocalDescription(answer);
      attendee.emit(
        "signal:description",
        { to: presenterPeerId, description: { type: "answer", sdp: answer.sdp } },
        () => undefined,
      );
    });
    attendee.on("signal:candidate", (p: { candidate: { candidate: string } | null }) => {
      if (p.candidate) void answerer.addIceCandidate(p.candidate).catch(() => undefined);
    });
    answerer.onicecandidate = (e: IceEvent) =>
      attendee.emit(
        "signal:candidate",
        { to: presenterPeerId, candidate: e.candidate ? toJson(e.candidate) : null },
        () => undefined,
      );
    offerer.onicecandidate = (e: IceEvent) =>
      presenter.emit(
        "signal:candidate",
        { to: peerId, candidate: e.candidate ? toJson(e.candidate) : null },
        () => undefined,
      );
    offerer.createDataChannel("bench");
    const start = performance.now();
    let connectedOnce = false;
    const connected = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 15_000);
      offerer.onconnectionstatechange = () => {
        if (config.mode === "podium")
          presenter.emit("media:state", { peerId, state: offerer.connectionState }, () => undefined);
        if (offerer.connectionState === "connected" && !connectedOnce) {
          connectedOnce = true;
          clearTimeout(timer);
          connectMs.push(performance.now() - start);
          resolve(true);
        }
      };
    });
    const offer = await offerer.createOffer();
    await offerer.setLocalDescription(offer);
    presenter.emit(
      "signal:description",
      { to: peerId, description: { type: "offer", sdp: offer.sdp } },
      () => undefined,
    );
    return connected;
  });
  const outcomes = await Promise.all(links);
  for (const close of closers) close();
  return { attempted: k, connected: outcomes.filter(Boolean).length, connectMs };
}

main().catch((error: unknown) => {
  console.error("signaling-client failed:", error instanceof Error ? error.stack : error);
  process.exit(1);
});
