/**
 * A minimal HTTP/1.1 client for latency measurements: one keep-alive TCP connection, one request in flight,
 * requests written from prebuilt buffers, responses framed by Content-Length. It does as little as possible
 * per request (no header objects, no streams), so the time it adds to each measured exchange is small and
 * the same for every route. Not a general client: chunked responses and pipelining are refused.
 */
import { connect, type Socket } from "node:net";

export interface Exchange {
  status: number;
  /** From just before the request is written to the arrival of the response's last byte. */
  elapsedNs: bigint;
  body: string;
}

interface Pending {
  startedAt: bigint;
  resolve: (exchange: Exchange) => void;
  reject: (error: Error) => void;
}

const HEAD_END = Buffer.from("\r\n\r\n");
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;
const CONNECTION_CLOSE = /\r\nconnection:[ \t]*close/i;

/** `GET path HTTP/1.1` with these extra headers, ready to write again and again. */
export function getRequest(url: URL, path: string, headers: Record<string, string> = {}): Buffer {
  const lines = [`GET ${path} HTTP/1.1`, `host: ${url.host}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
}

export class KeepAliveConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private pending: Pending | undefined;
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk, process.hrtime.bigint()));
    socket.on("error", (error) => this.fail(error));
    socket.on("close", () => this.fail(new Error("the server closed the keep-alive connection")));
  }

  static open(url: URL): Promise<KeepAliveConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port) });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new KeepAliveConnection(socket));
      });
    });
  }

  /** Writes `raw` (see getRequest) and resolves with the response once its last byte has arrived. */
  send(raw: Buffer): Promise<Exchange> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error("one request at a time on a KeepAliveConnection"));
    return new Promise((resolve, reject) => {
      this.pending = { startedAt: process.hrtime.bigint(), resolve, reject };
      this.socket.write(raw);
    });
  }

  close(): void {
    this.failure ??= new Error("connection closed");
    this.socket.destroy();
  }

  private onData(chunk: Buffer, arrivedAt: bigint): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const headEnd = this.buffer.indexOf(HEAD_END);
    if (headEnd < 0) return;
    const head = this.buffer.toString("latin1", 0, headEnd);
    const length = CONTENT_LENGTH.exec(head)?.[1];
    if (length === undefined) {
      this.fail(new Error(`response without Content-Length: ${head.split("\r\n")[0]}`));
      return;
    }
    const end = headEnd + HEAD_END.length + Number(length);
    if (this.buffer.length < end) return;
    const pending = this.pending;
    if (!pending || this.buffer.length > end) {
      this.fail(new Error("unexpected bytes from the server (no request in flight)"));
      return;
    }
    const exchange: Exchange = {
      status: Number(head.slice(9, 12)),
      elapsedNs: arrivedAt - pending.startedAt,
      body: this.buffer.toString("utf8", headEnd + HEAD_END.length, end),
    };
    this.buffer = Buffer.alloc(0);
    this.pending = undefined;
    if (CONNECTION_CLOSE.test(head)) this.failure = new Error("the server asked to close the connection");
    pending.resolve(exchange);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }
}
