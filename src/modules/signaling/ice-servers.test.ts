import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { iceServersFor, turnCredential } from "./ice-servers.js";

const settings = {
  stunUrls: ["stun:stun.example.com:3478"],
  turnUrls: ["turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349"],
  turnSecret: "coturn-static-auth-secret",
  turnCredentialTtlS: 3600,
};

describe("ICE servers", () => {
  it("makes TURN REST credentials as coturn checks them: username expiry:peer, base64 HMAC-SHA1", () => {
    // The worked example of the TURN REST draft's scheme, recomputed independently.
    const { username, credential } = turnCredential("north", "peer42", 1_700_000_000);
    expect(username).toBe("1700000000:peer42");
    expect(credential).toBe(createHmac("sha1", "north").update("1700000000:peer42").digest("base64"));
    expect(Buffer.from(credential, "base64")).toHaveLength(20);
  });

  it("gives STUN, then TURN with a credential expiring after the TTL", () => {
    const now = Date.UTC(2026, 10, 26, 12, 0, 0);
    const { iceServers, expiresAt } = iceServersFor(settings, "abc123", now);
    expect(iceServers).toEqual([
      { urls: ["stun:stun.example.com:3478"] },
      {
        urls: settings.turnUrls,
        username: `${now / 1000 + 3600}:abc123`,
        credential: turnCredential(settings.turnSecret, "abc123", now / 1000 + 3600).credential,
      },
    ]);
    expect(expiresAt).toBe("2026-11-26T13:00:00.000Z");
  });

  it("gives each peer its own credential", () => {
    const a = iceServersFor(settings, "a", 0).iceServers[1];
    const b = iceServersFor(settings, "b", 0).iceServers[1];
    expect(a?.credential).not.toBe(b?.credential);
  });

  it("gives no TURN without a secret, and nothing at all when unconfigured", () => {
    expect(iceServersFor({ ...settings, turnSecret: undefined }, "a", 0)).toEqual({
      iceServers: [{ urls: settings.stunUrls }],
      expiresAt: null,
    });
    const none = { stunUrls: [], turnUrls: [], turnSecret: undefined, turnCredentialTtlS: 60 };
    expect(iceServersFor(none, "a", 0)).toEqual({ iceServers: [], expiresAt: null });
  });
});
