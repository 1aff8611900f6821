// A minimal signaling client for the browser tests (the real client is issue 8): the presenter broadcasts its
// camera (and screen) to every attendee over one RTCPeerConnection each; an attendee answers and plays what it
// gets. It speaks the protocol of docs/REALTIME.md, "WebRTC signaling", and nothing else.
/* global io, window, navigator, performance, RTCPeerConnection, setInterval */
"use strict";

const log = [];
const note = (line) => log.push(`${Math.round(performance.now())} ${line}`);

function ack(socket, event, payload) {
  return new Promise((resolve, reject) =>
    socket.emit(event, payload, (answer) =>
      answer.ok
        ? resolve(answer.data)
        : reject(new Error(`${event}: ${answer.error.code} ${answer.error.message}`)),
    ),
  );
}

/** One peer connection and what it knows of the other end. */
function link(setup, socket, otherPeerId) {
  const pc = new RTCPeerConnection({ iceServers: setup.iceServers });
  const state = {
    pc,
    peerId: otherPeerId,
    pending: [],
    remoteSet: false,
    roles: {},
    createdAt: performance.now(),
    connectedAt: null,
  };
  pc.onicecandidate = (e) =>
    socket.emit(
      "signal:candidate",
      { to: otherPeerId, candidate: e.candidate ? e.candidate.toJSON() : null },
      (a) => a.ok || note(`candidate refused ${a.error.code}`),
    );
  pc.onconnectionstatechange = () => {
    note(`${otherPeerId.slice(0, 6)} ${pc.connectionState}`);
    if (pc.connectionState === "connected" && state.connectedAt === null)
      state.connectedAt = performance.now();
    socket.emit("media:state", { peerId: otherPeerId, state: pc.connectionState }, () => undefined);
  };
  return state;
}

async function addCandidate(state, candidate) {
  if (!state.remoteSet) return void state.pending.push(candidate);
  await state.pc.addIceCandidate(candidate ?? undefined).catch((e) => note(`addIceCandidate ${e.message}`));
}

async function setRemote(state, description) {
  await state.pc.setRemoteDescription(description);
  state.remoteSet = true;
  for (const candidate of state.pending.splice(0)) await addCandidate(state, candidate);
}

async function statsOf(pc) {
  const out = { rttMs: undefined, jitterMs: undefined, packetLossPct: undefined, fps: undefined, bytes: 0 };
  (await pc.getStats()).forEach((s) => {
    if (s.type === "candidate-pair" && s.nominated && s.currentRoundTripTime !== undefined)
      out.rttMs = s.currentRoundTripTime * 1000;
    if (s.type === "inbound-rtp" && s.kind === "video") {
      out.jitterMs = (s.jitter ?? 0) * 1000;
      const lost = s.packetsLost ?? 0;
      out.packetLossPct = lost + s.packetsReceived > 0 ? (100 * lost) / (lost + s.packetsReceived) : 0;
      out.fps = s.framesPerSecond ?? 0;
      out.bytes += s.bytesReceived;
    }
    if (s.type === "outbound-rtp" && s.kind === "video") {
      out.fps = s.framesPerSecond ?? out.fps;
      out.bytes += s.bytesSent;
    }
  });
  return out;
}

/** Sends a quality report per link every statsIntervalMs (bitrate from the byte counters). */
function reportStats(setup, socket, links) {
  const lastBytes = new Map();
  return setInterval(async () => {
    for (const state of links()) {
      if (state.pc.connectionState !== "connected") continue;
      const s = await statsOf(state.pc);
      const before = lastBytes.get(state.pc) ?? s.bytes;
      lastBytes.set(state.pc, s.bytes);
      const report = { peerId: state.peerId, bitrateKbps: ((s.bytes - before) * 8) / setup.statsIntervalMs };
      for (const key of ["rttMs", "jitterMs", "packetLossPct", "fps"])
        if (s[key] !== undefined) report[key] = Math.min(key === "fps" ? 240 : 60_000, s[key]);
      socket.emit("media:stats", report, () => undefined);
    }
  }, setup.statsIntervalMs);
}

function connect(url, sessionId, token) {
  return io(url, { transports: ["websocket"], auth: { sessionId, token }, reconnection: false });
}

window.presenter = async function presenter({ url, sessionId, token }) {
  const camera = await navigator.mediaDevices.getUserMedia({
    video: { width: 640, height: 360 },
    audio: false,
  });
  let screen = null;
  const links = new Map();
  const socket = connect(url, sessionId, token);
  const bandwidth = [];
  const quality = [];
  let setup = null;

  const streams = () => [
    { streamId: camera.id, role: "camera" },
    ...(screen ? [{ streamId: screen.id, role: "screen" }] : []),
  ];
  async function offer(state, options = {}) {
    const description = await state.pc.createOffer(options);
    await state.pc.setLocalDescription(description);
    await ack(socket, "signal:description", {
      to: state.peerId,
      description: { type: description.type, sdp: description.sdp },
      streams: streams(),
      ...(options.iceRestart ? { iceRestart: true } : {}),
    });
  }
  function connectTo(peerId) {
    links.get(peerId)?.pc.close();
    const state = link(setup, socket, peerId);
    links.set(peerId, state);
    for (const track of camera.getTracks()) state.pc.addTrack(track, camera);
    if (screen) for (const track of screen.getTracks()) state.pc.addTrack(track, screen);
    state.pc.onnegotiationneeded = () => offer(state).catch((e) => note(`offer ${e.message}`));
  }

  socket.on("media:peer", ({ peer, reason }) => {
    note(`peer ${peer.peerId.slice(0, 6)} ${reason}`);
    const state = links.get(peer.peerId);
    if (reason === "restart" && state) offer(state, { iceRestart: true }).catch((e) => note(e.message));
    else connectTo(peer.peerId);
  });
  socket.on("media:peer-left", ({ peerId }) => {
    links.get(peerId)?.pc.close();
    links.delete(peerId);
  });
  socket.on("signal:description", async ({ from, description }) => {
    const state = links.get(from);
    if (state && description.type === "answer")
      await setRemote(state, description).catch((e) => note(e.message));
  });
  socket.on("signal:candidate", ({ from, candidate }) => {
    const state = links.get(from);
    if (state) void addCandidate(state, candidate);
  });
  socket.on("media:quality", (summary) => quality.push(summary));
  socket.on("media:bandwidth", ({ links: recommended }) => {
    bandwidth.push(...recommended);
    for (const r of recommended) {
      const state = links.get(r.peerId);
      if (!state) continue;
      for (const sender of state.pc.getSenders()) {
        if (!sender.track || sender.track.kind !== "video") continue;
        const parameters = sender.getParameters();
        if (!parameters.encodings?.length) continue;
        const height = sender.track.getSettings().height ?? r.maxHeight;
        parameters.encodings[0].maxBitrate = r.maxBitrateKbps * 1000;
        parameters.encodings[0].maxFramerate = r.maxFramerate;
        parameters.encodings[0].scaleResolutionDownBy = Math.max(1, height / r.maxHeight);
        sender.setParameters(parameters).catch((e) => note(`setParameters ${e.message}`));
      }
    }
  });
  await new Promise((resolve, reject) => {
    socket.once("session:snapshot", resolve);
    socket.once("connect_error", reject);
  });
  setup = await ack(socket, "media:ready", {});
  for (const peer of setup.peers) connectTo(peer.peerId);
  reportStats(setup, socket, () => links.values());

  window.podium = {
    peerId: setup.peerId,
    log,
    bandwidth,
    quality,
    /** An ICE restart on one link, as after a failure: a new offer with new ICE credentials. */
    async restartIce(peerId) {
      const state = links.get(peerId);
      if (!state) throw new Error(`no link to ${peerId}`);
      await offer(state, { iceRestart: true });
    },
    async startScreen() {
      screen = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      await ack(socket, "media:screen", { action: "start", streamId: screen.id });
      // Adding the track fires negotiationneeded: each link renegotiates with the screen announced.
      for (const state of links.values())
        for (const track of screen.getTracks()) state.pc.addTrack(track, screen);
      return screen.id;
    },
    links: () => [...links.values()].map((s) => ({ peerId: s.peerId, state: s.pc.connectionState })),
    close() {
      socket.close();
      for (const s of links.values()) s.pc.close();
    },
  };
  return setup.peerId;
};

window.attendee = async function attendee({ url, sessionId, token }) {
  const socket = connect(url, sessionId, token);
  let current = null;
  let setup = null;
  const received = new Map(); // streamId → {role, receivers}

  function reset() {
    current?.pc.close();
    current = null;
    received.clear();
  }
  socket.on("media:presenter", ({ status }) => {
    note(`presenter ${status}`);
    reset();
  });
  socket.on("signal:description", async ({ from, description, streams }) => {
    if (description.type !== "offer") return;
    if (!current || current.peerId !== from || current.pc.connectionState === "closed") {
      reset();
      current = link(setup, socket, from);
      current.pc.ontrack = (e) => {
        for (const stream of e.streams) {
          const entry = received.get(stream.id) ?? {
            role: current.roles[stream.id] ?? "camera",
            receivers: [],
          };
          entry.receivers.push(e.receiver);
          received.set(stream.id, entry);
        }
      };
    }
    const state = current;
    for (const s of streams ?? []) {
      state.roles[s.streamId] = s.role;
      const entry = received.get(s.streamId);
      if (entry) entry.role = s.role;
    }
    try {
      await setRemote(state, description);
      const answer = await state.pc.createAnswer();
      await state.pc.setLocalDescription(answer);
      await ack(socket, "signal:description", {
        to: from,
        description: { type: answer.type, sdp: answer.sdp },
      });
    } catch (e) {
      note(`answer ${e.message}`);
    }
  });
  socket.on("signal:candidate", ({ from, candidate }) => {
    if (current && current.peerId === from) void addCandidate(current, candidate);
  });
  await new Promise((resolve, reject) => {
    socket.once("session:snapshot", resolve);
    socket.once("connect_error", reject);
  });
  setup = await ack(socket, "media:ready", {});
  reportStats(setup, socket, () => (current ? [current] : []));

  window.podium = {
    peerId: setup.peerId,
    log,
    /** The link's state, time from its first offer to connected, frames decoded per received stream and role. */
    async status() {
      const streams = [];
      for (const [streamId, entry] of received) {
        let framesDecoded = 0;
        for (const receiver of entry.receivers) {
          if (receiver.track.kind !== "video" || !current) continue;
          (await receiver.getStats()).forEach((s) => {
            if (s.type === "inbound-rtp") framesDecoded += s.framesDecoded ?? 0;
          });
        }
        streams.push({ streamId, role: current?.roles[streamId] ?? entry.role, framesDecoded });
      }
      return {
        state: current?.pc.connectionState ?? "none",
        presenter: current?.peerId ?? null,
        connectMs: current?.connectedAt ? current.connectedAt - current.createdAt : null,
        streams,
      };
    },
    close() {
      socket.close();
      reset();
    },
  };
  return setup.peerId;
};
