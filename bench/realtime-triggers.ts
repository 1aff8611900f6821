/**
 * The REST calls that trigger the measured broadcasts, sent by the clients' process (realtime-client.ts), and how
 * a received message is matched to the change that caused it.
 */
import { createHash } from "node:crypto";
import { Agent, request } from "node:http";

/** Keep-alive connections for the triggers (one request in flight per change, several changes may overlap). */
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/**
 * The REST change whose broadcast is measured, one kind per trigger (`triggerOf`): Podium's
 * `PATCH /api/sessions/:id` (the host renames the session; everyone gets `session:updated`), Podium's question
 * creation `POST /api/sessions/:id/questions` (an attendee asks; everyone gets `question:created`; askers taken
 * in turn from `askerTokens`, so none comes near the per-attendee question limit), and the raw baseline's
 * `POST /broadcast/:id?event=…`, which emits its body, `template` with the change's mark in `field` (`durable`:
 * after committing it to PostgreSQL).
 */
export type TriggerSpec =
  | { kind: "podium-session-patch"; url: string; sessionId: string; hostToken: string }
  | { kind: "podium-question-create"; url: string; sessionId: string; askerTokens: string[] }
  | {
      kind: "raw-broadcast";
      url: string;
      sessionId: string;
      event: string;
      template: Record<string, unknown>;
      field: "title" | "text";
      durable?: boolean;
    };

/** Events the sockets listen to: what the triggers above make the servers send. */
export const MEASURED_EVENTS = ["session:updated", "question:created"] as const;

/** The mark of change `seq` of a burst: the start of the new title or question text. */
function markOf(tag: string, seq: number): string {
  return `rt ${tag} #${seq} `;
}

/** The sequence number of a message of this burst, from the mark in `field` of what the server sent. */
function seqFrom(tag: string, field: "title" | "text"): (payload: unknown) => number | undefined {
  const prefix = `rt ${tag} #`;
  return (payload) => {
    const value = (payload as Record<string, unknown> | null)?.[field];
    if (typeof value !== "string" || !value.startsWith(prefix)) return undefined;
    return Number.parseInt(value.slice(prefix.length), 10);
  };
}

const WORDS = (
  "about after again audience before better camera change chart choose closing compare cost data demo design " +
  "detail example explain feature future goal graph guide idea impact later launch learn metric model next " +
  "number offer option order plan point price process product question quick reason record release result " +
  "review roadmap sample scale screen second share slide source speaker start step story summary support " +
  "system team test third timeline topic track update value version video week window workflow"
).split(" ");

/**
 * Distinct questions: the duplicate check compares word multisets (Dice ≥ 0.85 is a copy), so after the mark
 * come six words chosen by a hash of the burst's tag and seq (two questions share ~4 of 11 words).
 */
export function questionText(tag: string, seq: number): string {
  const hash = createHash("sha256").update(`${tag}:${seq}`).digest();
  const words = Array.from({ length: 6 }, (_, i) => WORDS[hash.readUInt16BE(2 * i) % WORDS.length]!);
  return `${markOf(tag, seq)}what about ${words.join(" ")}?`;
}

/** Askers in turn across bursts: attendee k asks again only after every other attendee has. */
let nextAsker = 0;

function httpSend(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string,
): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method, headers, agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", () => resolve(-1));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(-1));
    req.end(body);
  });
}

/** The trigger: sends change `seq` and resolves with the HTTP status; `event` is what the sockets receive. */
export function triggerOf(
  spec: TriggerSpec,
  tag: string,
): {
  event: string;
  seqOf: (payload: unknown) => number | undefined;
  send: (seq: number) => Promise<number>;
} {
  const json = { "content-type": "application/json" };
  switch (spec.kind) {
    case "podium-session-patch": {
      const url = `${spec.url}/api/sessions/${spec.sessionId}`;
      const headers = { ...json, authorization: `Bearer ${spec.hostToken}` };
      return {
        event: "session:updated",
        seqOf: seqFrom(tag, "title"),
        send: (seq) => httpSend(url, "PATCH", headers, JSON.stringify({ title: `${markOf(tag, seq)}title` })),
      };
    }
    case "podium-question-create": {
      const url = `${spec.url}/api/sessions/${spec.sessionId}/questions`;
      return {
        event: "question:created",
        seqOf: seqFrom(tag, "text"),
        send: (seq) => {
          const token = spec.askerTokens[nextAsker++ % spec.askerTokens.length]!;
          const headers = { ...json, authorization: `Bearer ${token}` };
          return httpSend(url, "POST", headers, JSON.stringify({ text: questionText(tag, seq) }));
        },
      };
    }
    case "raw-broadcast": {
      const url =
        `${spec.url}/broadcast/${spec.sessionId}?event=${encodeURIComponent(spec.event)}` +
        (spec.durable ? "&durable=1" : "");
      const value = (seq: number) =>
        spec.field === "text" ? questionText(tag, seq) : `${markOf(tag, seq)}title`;
      return {
        event: spec.event,
        seqOf: seqFrom(tag, spec.field),
        send: (seq) =>
          httpSend(url, "POST", json, JSON.stringify({ ...spec.template, [spec.field]: value(seq) })),
      };
    }
  }
}
