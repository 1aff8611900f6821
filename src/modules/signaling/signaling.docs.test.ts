import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { signalingInbound, type SignalingServerEvents } from "./signaling.schemas.js";

// Every event the server sends, checked against the type: a new one fails to compile until it is listed here.
const SERVER_EVENTS = {
  "signal:description": true,
  "signal:candidate": true,
  "media:peer": true,
  "media:peer-left": true,
  "media:presenter": true,
  "media:screen": true,
  "media:link": true,
  "media:quality": true,
  "media:bandwidth": true,
} satisfies Record<keyof SignalingServerEvents, true>;

const ERROR_CODES = [
  "EDGE_NOT_ALLOWED",
  "PEER_NOT_FOUND",
  "SCREEN_SHARE_NOT_ALLOWED",
  "FORBIDDEN",
  "RATE_LIMITED",
];
const VARIABLES = [
  "ICE_STUN_URLS",
  "TURN_URLS",
  "TURN_SECRET",
  "TURN_CREDENTIAL_TTL_S",
  "SIGNALING_EVENTS_PER_SECOND",
  "SIGNALING_EVENT_BURST",
  "SIGNALING_PRESENTER_EVENTS_PER_SECOND",
  "SIGNALING_PRESENTER_EVENT_BURST",
  "MEDIA_STATS_INTERVAL_MS",
  "MEDIA_QUALITY_SUMMARY_MS",
];

describe("signaling documentation", () => {
  const realtime = readFileSync(new URL("../../../docs/REALTIME.md", import.meta.url), "utf8");
  const section = realtime.slice(realtime.indexOf("## WebRTC signaling"));
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");

  it.each([...Object.keys(signalingInbound), ...Object.keys(SERVER_EVENTS)])(
    "docs/REALTIME.md describes %s in its table",
    (event) => {
      expect(section).toMatch(new RegExp(`^\\| \`${event}\``, "m"));
    },
  );

  it.each(ERROR_CODES)("docs/REALTIME.md names the error %s", (code) => {
    expect(section).toContain(`\`${code}\``);
  });

  it.each(VARIABLES)("the README's table has %s", (name) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${name}\``, "m"));
  });
});
