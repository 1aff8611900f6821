import { createServer } from "node:net";

/**
 * A TCP port free on 127.0.0.1 at the time of the call (the OS picks it). Another process may take it before
 * the caller binds it, which is unlikely but possible: use it for servers that report a bind failure clearly.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
