import { encodeCursor } from "../../lib/cursor.js";
import { EXAMPLE_SESSION_ID } from "../sessions/sessions.examples.js";
import type { JoinResult } from "./attendees.join.js";

/** Example values for the OpenAPI document (and docs/API.md): one attendee joining the example session. */

export const EXAMPLE_ATTENDEE_ID = "c8e21b7a-5f34-4d09-8b6e-1a7f3c9d2e54";

export const joinExample = { name: "Ada Lovelace", email: "ada@example.com" };

/** The token is shortened: a real one is a compact HS256 JWT of about 400 characters. */
const token =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6InBvZGl1bS1hdHRlbmRlZStqd3QifQ.eyJzdWIiOiJjOGUyMWI3YS01ZjM0LTRkMDktOGI2ZS0xYTdmM2M5ZDJlNTQifQ.Xc0mJ4pQ7yR2vT9sL1nB6dF3hK8aW5eZ0uG4iO7xY2c";

export const joinResultExample: JoinResult = {
  attendee: {
    id: EXAMPLE_ATTENDEE_ID,
    displayName: "Ada Lovelace",
    peerId: "9d41f07c3be2486a8e15c6a2f0d7b394",
    status: "connected",
  },
  token,
  expiresAt: "2026-03-12T18:05:31.000Z",
  session: { id: EXAMPLE_SESSION_ID, title: "Quarterly all-hands", status: "live" },
  rejoined: false,
};

export const rejoinResultExample: JoinResult = {
  ...joinResultExample,
  expiresAt: "2026-03-12T18:41:09.000Z",
  rejoined: true,
};

export const updateStatusExample = {
  status: "reconnecting" as const,
  quality: { rttMs: 180, packetLossPct: 2.5, bitrateKbps: 900 },
};

export const attendeePageExample = {
  items: [
    {
      id: EXAMPLE_ATTENDEE_ID,
      displayName: "Ada Lovelace",
      status: "connected" as const,
      joinedAt: "2026-03-12T16:05:31.208Z",
      lastSeenAt: "2026-03-12T16:41:02.617Z",
      leftAt: null,
      questionsAsked: 2,
      votesCast: 9,
    },
    {
      id: "f2a60c19-4e7d-4b38-a5c1-8d93e0b27f66",
      displayName: "Alan",
      status: "left" as const,
      joinedAt: "2026-03-12T16:06:10.554Z",
      lastSeenAt: "2026-03-12T16:30:41.377Z",
      leftAt: "2026-03-12T16:30:47.002Z",
      questionsAsked: 0,
      votesCast: 3,
    },
  ],
  nextCursor: encodeCursor("2026-03-12 16:06:10.554+00", "f2a60c19-4e7d-4b38-a5c1-8d93e0b27f66"),
};
