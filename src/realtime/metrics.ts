import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { SocketRole } from "./events.js";

export interface RealtimeMetrics {
  sockets: Gauge<"role">;
  eventsIn: Counter<"event" | "outcome">;
  eventsOut: Counter<"event">;
  /** From the publish call (after the commit) to the message handed to the adapter; counts include coalescing. */
  publishLatency: Histogram<"event">;
  connectionsRefused: Counter<"code">;
}

export function createRealtimeMetrics(registry: Registry): RealtimeMetrics {
  const registers = [registry];
  return {
    sockets: new Gauge({
      name: "podium_realtime_sockets",
      help: "Sockets connected to this instance, by role",
      labelNames: ["role"] as const,
      registers,
    }),
    eventsIn: new Counter({
      name: "podium_realtime_events_in_total",
      help: "Events received from clients, by event and outcome (ok or the error code)",
      labelNames: ["event", "outcome"] as const,
      registers,
    }),
    eventsOut: new Counter({
      name: "podium_realtime_events_out_total",
      help: "Events broadcast by this instance, by event (one per broadcast, whatever the number of receivers)",
      labelNames: ["event"] as const,
      registers,
    }),
    publishLatency: new Histogram({
      name: "podium_realtime_publish_to_delivery_seconds",
      help: "Time from a committed change being published to its message being handed to the adapter",
      labelNames: ["event"] as const,
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    connectionsRefused: new Counter({
      name: "podium_realtime_connections_refused_total",
      help: "Socket connections refused at the handshake, by code",
      labelNames: ["code"] as const,
      registers,
    }),
  };
}

export const SOCKET_ROLES: readonly SocketRole[] = ["host", "co_host", "moderator", "viewer", "attendee"];
