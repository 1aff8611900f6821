import { request } from "node:http";
import type { AddressInfo } from "node:net";
import type { App } from "../../src/app.js";

/**
 * One HTTP request over a real socket with the path sent exactly as given. `app.inject` and `fetch` both resolve
 * dot segments (`/a/../b`) before the server sees them; attackers' clients do not.
 */
export async function rawRequest(
  app: App,
  options: { method: string; path: string; headers?: Record<string, string>; body?: unknown },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  if (!app.server.listening) await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: options.method,
        path: options.path,
        headers: {
          ...(payload && { "content-type": "application/json" }),
          ...options.headers,
          connection: "close",
        },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}
