import { createHmac } from "node:crypto";

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface IceSettings {
  stunUrls: string[];
  turnUrls: string[];
  turnSecret: string | undefined;
  turnCredentialTtlS: number;
}

/**
 * A TURN credential by the TURN REST convention that coturn implements (`use-auth-secret`): the username is
 * `<expiry unix seconds>:<peer id>`, the password base64(HMAC-SHA1(secret, username)). The TURN server recomputes
 * it from its shared secret and refuses it after the expiry: nothing is stored, nothing to revoke.
 */
export function turnCredential(
  secret: string,
  peerId: string,
  expiresAtS: number,
): { username: string; credential: string } {
  const username = `${expiresAtS}:${peerId}`;
  return { username, credential: createHmac("sha1", secret).update(username).digest("base64") };
}

/** The RTCPeerConnection `iceServers` for one peer at `nowMs`, and when its TURN credential expires (if any). */
export function iceServersFor(
  settings: IceSettings,
  peerId: string,
  nowMs: number,
): { iceServers: IceServer[]; expiresAt: string | null } {
  const iceServers: IceServer[] = [];
  if (settings.stunUrls.length > 0) iceServers.push({ urls: settings.stunUrls });
  if (settings.turnUrls.length === 0 || !settings.turnSecret) return { iceServers, expiresAt: null };
  const expiresAtS = Math.floor(nowMs / 1000) + settings.turnCredentialTtlS;
  iceServers.push({ urls: settings.turnUrls, ...turnCredential(settings.turnSecret, peerId, expiresAtS) });
  return { iceServers, expiresAt: new Date(expiresAtS * 1000).toISOString() };
}
