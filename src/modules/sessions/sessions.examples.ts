import type { z } from "zod";
import { encodeCursor } from "../../lib/cursor.js";
import type { SessionMemberView } from "./session-members.service.js";
import type {
  createSessionBody,
  publicSessionSchema,
  sessionPageSchema,
  sessionSchema,
} from "./sessions.schemas.js";

/** Example values for the OpenAPI document (and docs/API.md): one session followed through its lifecycle. */

export const EXAMPLE_SESSION_ID = "6f1c2a9e-3b4d-4e8f-9a27-5c1d0e7b3f42";
export const EXAMPLE_WORKSPACE_ID = "0b7e4d2c-8a91-4f3e-b6d5-2e9c7a1f4b80";
export const EXAMPLE_OWNER_ID = "a3d95f10-7c2e-4b86-9e41-d8f07b2c6a15";
export const EXAMPLE_MEMBER_USER_ID = "5e2f8c41-9b7d-4a63-8f10-3c6d2a9e7b18";
export const EXAMPLE_JOIN_CODE = "K7M2QX";
export const EXAMPLE_SESSION_PATH = `/api/sessions/${EXAMPLE_SESSION_ID}`;

export const createSessionExample: z.input<typeof createSessionBody> = {
  title: "Quarterly all-hands",
  description: "Results, roadmap, and your questions.",
  scheduledAt: "2026-03-12T17:00:00+01:00",
  capacity: 500,
  settings: { qa: { moderation: "pre" } },
};

const settings = {
  qa: {
    enabled: true,
    moderation: "pre",
    allowAnonymous: true,
    allowDownvotes: false,
    maxQuestionLength: 300,
    profanity: "mask",
    maxLinks: 1,
  },
  media: { screenShareAllowed: true, maxBitrateKbps: 2500 },
  collectAttendeeEmail: false,
} as const;

/** As created from `createSessionExample`. */
export const scheduledSessionExample: z.output<typeof sessionSchema> = {
  id: EXAMPLE_SESSION_ID,
  workspaceId: EXAMPLE_WORKSPACE_ID,
  ownerId: EXAMPLE_OWNER_ID,
  title: "Quarterly all-hands",
  description: "Results, roadmap, and your questions.",
  status: "scheduled",
  joinCode: EXAMPLE_JOIN_CODE,
  capacity: 500,
  settings,
  scheduledAt: "2026-03-12T16:00:00.000Z",
  startedAt: null,
  endedAt: null,
  version: 1,
  createdAt: "2026-03-02T09:41:07.512Z",
  updatedAt: "2026-03-02T09:41:07.512Z",
};

export const updatedSessionExample: z.output<typeof sessionSchema> = {
  ...scheduledSessionExample,
  capacity: 800,
  settings: { ...settings, qa: { ...settings.qa, allowDownvotes: true } },
  version: 2,
  updatedAt: "2026-03-05T14:02:51.090Z",
};

export const liveSessionExample: z.output<typeof sessionSchema> = {
  ...updatedSessionExample,
  status: "live",
  startedAt: "2026-03-12T16:01:12.304Z",
  version: 3,
  updatedAt: "2026-03-12T16:01:12.304Z",
};

export const endedSessionExample: z.output<typeof sessionSchema> = {
  ...liveSessionExample,
  status: "ended",
  endedAt: "2026-03-12T17:03:40.871Z",
  version: 4,
  updatedAt: "2026-03-12T17:03:40.871Z",
};

export const sessionPageExample: z.output<typeof sessionPageSchema> = {
  items: [
    {
      ...liveSessionExample,
      summary: { attendeesNow: 312, peakAttendees: 344, questions: 27 },
    },
  ],
  // What the server hands out: the last item's creation time as PostgreSQL prints it, and its id.
  nextCursor: encodeCursor("2026-03-02 09:41:07.512+00", EXAMPLE_SESSION_ID),
};

export const publicSessionExample: z.output<typeof publicSessionSchema> = {
  sessionId: EXAMPLE_SESSION_ID,
  title: "Quarterly all-hands",
  status: "live",
  presenterName: "Grace Hopper",
  qaOpen: true,
  scheduledAt: "2026-03-12T16:00:00.000Z",
};

export const membersExample: { items: SessionMemberView[] } = {
  items: [
    { userId: EXAMPLE_OWNER_ID, name: "Grace Hopper", role: "host", grantedAt: null },
    {
      userId: EXAMPLE_MEMBER_USER_ID,
      name: "Katherine Johnson",
      role: "moderator",
      grantedAt: "2026-03-04T10:15:22.340Z",
    },
  ],
};
