import type { Logger } from "pino";
import { AppError } from "../lib/errors.js";
import {
  inbound,
  type Ack,
  type EventLimiter,
  type InboundEvent,
  type InboundPayload,
  type InboundResults,
  type SocketData,
} from "./events.js";
import type { FloodControl } from "./flood.js";
import type { RealtimeMetrics } from "./metrics.js";

export type Handler<E extends InboundEvent> = (
  socket: SocketData,
  payload: InboundPayload<E>,
) => Promise<InboundResults[E]>;
export type Handlers = { [E in InboundEvent]: Handler<E> };
/** A budget of its own for the events whose spec names it (flood control's shape: ok, refused or flooding). */
export type EventLimiters = Partial<
  Record<EventLimiter, (socket: { id: string; data: SocketData }) => Promise<"ok" | "refused" | "flooding">>
>;

interface DispatchedSocket {
  id: string;
  data: SocketData;
  disconnect(close?: boolean): unknown;
}
type Packet = unknown[];

const isInbound = (event: unknown): event is InboundEvent =>
  typeof event === "string" && Object.prototype.hasOwnProperty.call(inbound, event);

/**
 * Every inbound event goes through here, in order: flood control, known event, size cap, Zod validation, then
 * its handler; the outcome is always acknowledged as `{ok: true, data}` or `{ok: false, error: {code, message}}`.
 * The packet is consumed here (socket.io's own listeners never see it), so an event without a handler cannot
 * slip through.
 */
export function createDispatcher(deps: {
  handlers: Handlers;
  flood: FloodControl;
  metrics: RealtimeMetrics;
  logger: Logger;
  limiters?: EventLimiters;
}) {
  const { handlers, flood, metrics, logger, limiters = {} } = deps;

  return (socket: DispatchedSocket) => (packet: Packet, _next: (error?: Error) => void) => {
    const [event, ...args] = packet;
    const ack = typeof args.at(-1) === "function" ? (args.pop() as (response: Ack<unknown>) => void) : null;
    const label = isInbound(event) ? event : "unknown";
    const refuse = (code: string, message: string) => {
      metrics.eventsIn.inc({ event: label, outcome: code });
      ack?.({ ok: false, error: { code, message } });
    };

    void (async () => {
      const spec = isInbound(event) ? inbound[event] : undefined;
      const own = spec && "limiter" in spec ? limiters[spec.limiter] : undefined;
      const allowed = own ? await own(socket) : await flood.allowEvent(socket.id);
      if (allowed === "flooding") {
        refuse("FLOODING", "Too many events; disconnecting.");
        logger.warn({ socketId: socket.id, ip: socket.data.ip }, "socket flooding: disconnected");
        socket.disconnect(true);
        return;
      }
      if (allowed === "refused") return refuse("RATE_LIMITED", "Too many events; slow down.");
      if (!isInbound(event) || !spec) return refuse("UNKNOWN_EVENT", "This event does not exist.");
      const payload = args[0] ?? {};
      if (args.length > 1) return refuse("VALIDATION_FAILED", "Send one payload object.");
      const size = JSON.stringify(payload)?.length ?? 0;
      if (size > spec.maxBytes) {
        return refuse("PAYLOAD_TOO_LARGE", `The payload of ${event} is capped at ${spec.maxBytes} bytes.`);
      }
      const parsed = spec.schema.safeParse(payload);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
        return refuse("VALIDATION_FAILED", `${where}${issue?.message ?? "invalid payload"}`);
      }
      try {
        const handler = handlers[event] as Handler<typeof event>;
        const data = await handler(socket.data, parsed.data as never);
        metrics.eventsIn.inc({ event, outcome: "ok" });
        ack?.({ ok: true, data });
      } catch (error) {
        if (error instanceof AppError) return refuse(error.code, error.detail);
        logger.error({ err: error, event }, "socket event handler failed");
        refuse("INTERNAL", "The event could not be handled; try again.");
      }
    })().catch((error: unknown) => logger.error({ err: error }, "socket dispatch failed"));
  };
}
