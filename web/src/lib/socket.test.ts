import { describe, expect, it } from "vitest";
import { connectSession } from "./socket";

describe("connectSession", () => {
  it("opens only when asked, so that no event of the handshake reaches a socket before its listeners", () => {
    const socket = connectSession({ sessionId: "00000000-0000-4000-8000-000000000000" });
    try {
      // Nothing started: no Engine.IO connection opening, nothing that could emit `connect` or the snapshot.
      expect(socket.active).toBe(false);
      expect(socket.connected).toBe(false);
      expect(socket.io.opts.autoConnect).toBe(false);
    } finally {
      socket.close();
    }
  });
});
