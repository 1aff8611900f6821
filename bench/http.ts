/** Plain HTTP for the benchmarks' set-up and checks (measured traffic uses autocannon or the clients' processes). */
import { request } from "node:http";

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on a fresh connection, failing after `timeoutMs` without an answer. */
export function send(
  url: string,
  method: string,
  headers: Record<string, string> = {},
  body?: string,
  timeoutMs = 30_000,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false, timeout: timeoutMs }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** The answer, or an error naming what was asked when its status is not `status`. */
export async function expectStatus(
  answer: Promise<HttpAnswer>,
  status: number,
  what: string,
): Promise<HttpAnswer> {
  const result = await answer;
  if (result.status !== status)
    throw new Error(`${what} answered ${result.status}, not ${status}: ${result.body.slice(0, 300)}`);
  return result;
}
