// The demo data `npm run db:seed` writes, as plain facts. seed.ts turns them into rows (timestamps relative
// to the moment of seeding, vote tallies, analytics and the event log) and writes them.
import { sessionSettingsSchema, type SessionSettings } from "../modules/sessions/sessions.settings.js";

export const PRESENTER_ID = "5eed0001-0000-4000-8000-000000000001";
export const MODERATOR_ID = "5eed0001-0000-4000-8000-000000000002";
export const WORKSPACE_ID = "5eed0002-0000-4000-8000-000000000001";
export const WORKSPACE_MEMBER_ID = "5eed0003-0000-4000-8000-000000000001";
export const DRAFT_SESSION_ID = "5eed0004-0000-4000-8000-000000000001";
export const SCHEDULED_SESSION_ID = "5eed0004-0000-4000-8000-000000000002";
export const LIVE_SESSION_ID = "5eed0004-0000-4000-8000-000000000003";
export const ENDED_SESSION_ID = "5eed0004-0000-4000-8000-000000000004";

export const seedUsers = [
  {
    id: PRESENTER_ID,
    name: "Ada Presenter",
    email: "ada@podium.example",
    role: "presenter",
    createdDaysAgo: 30,
  },
  {
    id: MODERATOR_ID,
    name: "Max Moderator",
    email: "max@podium.example",
    role: "presenter",
    createdDaysAgo: 20,
  },
] as const;

export const seedWorkspace = {
  id: WORKSPACE_ID,
  name: "Ada Presenter",
  slug: "ada-presenter",
  createdDaysAgo: 30,
};

export type AttendeeState = "connected" | "reconnecting" | "disconnected" | "left";

/** Times are minutes after the session started. */
export interface AttendeeSpec {
  id: string;
  name: string;
  email?: string;
  status: AttendeeState;
  joined: number;
  /** Last sign of life; for `left`, the moment of leaving. */
  lastSeen: number;
  bannedAt?: number;
}

export interface QuestionSpec {
  id: string;
  /** An attendee id, or `{ userId }` for a question the presenter asked from the console. */
  author: string | { userId: string };
  text: string;
  status: "pending" | "visible" | "dismissed" | "withdrawn";
  at: number;
  anonymous?: boolean;
  pinned?: boolean;
  answeredAt?: number;
  /** Voter attendee id → value, in the order the votes came in. */
  votes?: ReadonlyArray<readonly [string, 1 | -1]>;
}

export interface SessionSpec {
  id: string;
  title: string;
  description: string;
  status: "draft" | "scheduled" | "live" | "ended";
  joinCode: string;
  capacity: number;
  settings: SessionSettings;
  createdDaysAgo: number;
  scheduledInDays?: number;
  /** For live sessions: how long it has been running; for ended ones: when it started. */
  startedMinutesAgo?: number;
  durationMinutes?: number;
  moderatorId?: string;
  attendees?: AttendeeSpec[];
  questions?: QuestionSpec[];
}

const L = {
  grace: "5eed0005-0000-4000-8000-000000000001",
  linus: "5eed0005-0000-4000-8000-000000000002",
  margaret: "5eed0005-0000-4000-8000-000000000003",
  alan: "5eed0005-0000-4000-8000-000000000004",
  barbara: "5eed0005-0000-4000-8000-000000000005",
  ken: "5eed0005-0000-4000-8000-000000000006",
  spammer: "5eed0005-0000-4000-8000-000000000007",
  radia: "5eed0005-0000-4000-8000-000000000008",
};

const E = {
  edsger: "5eed0005-0000-4000-8000-000000000101",
  frances: "5eed0005-0000-4000-8000-000000000102",
  donald: "5eed0005-0000-4000-8000-000000000103",
  adele: "5eed0005-0000-4000-8000-000000000104",
  niklaus: "5eed0005-0000-4000-8000-000000000105",
  katherine: "5eed0005-0000-4000-8000-000000000106",
  tony: "5eed0005-0000-4000-8000-000000000107",
};

export const seedSessions: SessionSpec[] = [
  {
    id: DRAFT_SESSION_ID,
    title: "WebRTC from first principles",
    description: "Outline: ICE, STUN/TURN, SDP offers and answers, and why simulcast matters.",
    status: "draft",
    joinCode: "Q8WZ4M",
    capacity: 100,
    settings: sessionSettingsSchema.parse({}),
    createdDaysAgo: 2,
  },
  {
    id: SCHEDULED_SESSION_ID,
    title: "Designing APIs people enjoy",
    description: "A workshop on naming, errors and pagination, with live Q&A.",
    status: "scheduled",
    joinCode: "T5KX9R",
    capacity: 1000,
    settings: sessionSettingsSchema.parse({
      qa: { allowAnonymous: false, maxQuestionLength: 500 },
      media: { maxBitrateKbps: 4_000 },
      collectAttendeeEmail: true,
    }),
    createdDaysAgo: 5,
    scheduledInDays: 7,
  },
  {
    id: LIVE_SESSION_ID,
    title: "Scaling real-time Q&A to a thousand rooms",
    description: "Socket.io, Redis and PostgreSQL under load: what broke and what we changed.",
    status: "live",
    joinCode: "H3LV7Q",
    capacity: 500,
    settings: sessionSettingsSchema.parse({ qa: { moderation: "pre" } }),
    createdDaysAgo: 7,
    startedMinutesAgo: 50,
    moderatorId: MODERATOR_ID,
    attendees: [
      { id: L.grace, name: "Grace H.", status: "connected", joined: 1, lastSeen: 49.9 },
      { id: L.linus, name: "Linus", status: "connected", joined: 2, lastSeen: 49.8 },
      { id: L.margaret, name: "Margaret Hamilton", status: "connected", joined: 3, lastSeen: 49.9 },
      { id: L.alan, name: "Alan T.", status: "reconnecting", joined: 4, lastSeen: 49.3 },
      { id: L.barbara, name: "Barbara", status: "disconnected", joined: 5, lastSeen: 30 },
      { id: L.ken, name: "Ken", status: "left", joined: 6, lastSeen: 25 },
      { id: L.radia, name: "Radia P.", status: "connected", joined: 12, lastSeen: 49.7 },
      { id: L.spammer, name: "Free Crypto", status: "disconnected", joined: 14, lastSeen: 20, bannedAt: 20 },
    ],
    questions: [
      {
        id: "5eed0006-0000-4000-8000-000000000001",
        author: L.grace,
        text: "How do you shard Socket.io rooms across several Redis nodes?",
        status: "visible",
        at: 10,
        pinned: true,
        votes: [
          [L.linus, 1],
          [L.margaret, 1],
          [L.alan, 1],
          [L.radia, 1],
        ],
      },
      {
        id: "5eed0006-0000-4000-8000-000000000002",
        author: L.linus,
        text: "What is the p99 latency from a vote to every client seeing the new tally?",
        status: "visible",
        at: 15,
        answeredAt: 30,
        votes: [
          [L.grace, 1],
          [L.margaret, 1],
          [L.barbara, 1],
          [L.ken, 1],
        ],
      },
      {
        id: "5eed0006-0000-4000-8000-000000000003",
        author: L.margaret,
        text: "Does the peer-to-peer mode fall back to an SFU for big rooms?",
        status: "visible",
        at: 18,
        anonymous: true,
        votes: [
          [L.grace, 1],
          [L.radia, 1],
        ],
      },
      {
        id: "5eed0006-0000-4000-8000-000000000004",
        author: { userId: PRESENTER_ID },
        text: "Quick poll: who here runs PostgreSQL 15 in production?",
        status: "visible",
        at: 22,
        votes: [
          [L.grace, 1],
          [L.linus, 1],
          [L.margaret, 1],
          [L.ken, 1],
        ],
      },
      {
        id: "5eed0006-0000-4000-8000-000000000005",
        author: L.spammer,
        text: "FREE CRYPTO GIVEAWAY!!! Visit my site now",
        status: "dismissed",
        at: 16,
      },
      {
        id: "5eed0006-0000-4000-8000-000000000006",
        author: L.alan,
        text: "Will the recording be available after the session?",
        status: "visible",
        at: 35,
        votes: [[L.linus, 1]],
      },
      {
        id: "5eed0006-0000-4000-8000-000000000007",
        author: L.radia,
        text: "Can moderators merge duplicate questions?",
        status: "pending",
        at: 44,
      },
    ],
  },
  {
    id: ENDED_SESSION_ID,
    title: "PostgreSQL internals for application developers",
    description: "MVCC, VACUUM and indexes, explained with the queries your app actually runs.",
    status: "ended",
    joinCode: "N2PD6C",
    capacity: 250,
    settings: sessionSettingsSchema.parse({ qa: { allowDownvotes: true }, collectAttendeeEmail: true }),
    createdDaysAgo: 14,
    startedMinutesAgo: 3 * 24 * 60,
    durationMinutes: 75,
    attendees: [
      {
        id: E.edsger,
        name: "Edsger",
        email: "edsger@example.com",
        status: "left",
        joined: 0.5,
        lastSeen: 75,
      },
      {
        id: E.frances,
        name: "Frances A.",
        email: "frances@example.com",
        status: "left",
        joined: 1,
        lastSeen: 75,
      },
      { id: E.donald, name: "Donald K.", status: "left", joined: 2, lastSeen: 40 },
      {
        id: E.adele,
        name: "Adele",
        email: "adele@example.com",
        status: "disconnected",
        joined: 3,
        lastSeen: 50,
      },
      { id: E.niklaus, name: "Niklaus W.", status: "left", joined: 10, lastSeen: 75 },
      { id: E.katherine, name: "Katherine J.", status: "left", joined: 15, lastSeen: 60 },
      // Came for the last quarter of an hour, after Donald and Katherine had gone: peak is below the total.
      { id: E.tony, name: "Tony H.", email: "tony@example.com", status: "left", joined: 62, lastSeen: 75 },
    ],
    questions: [
      {
        id: "5eed0006-0000-4000-8000-000000000101",
        author: E.edsger,
        text: "How does MVCC interact with long-running transactions?",
        status: "visible",
        at: 16,
        answeredAt: 20,
        votes: [
          [E.frances, 1],
          [E.donald, 1],
          [E.niklaus, 1],
          [E.katherine, 1],
        ],
      },
      {
        id: "5eed0006-0000-4000-8000-000000000102",
        author: E.frances,
        text: "Is VACUUM FULL ever the right call on a busy table?",
        status: "visible",
        at: 22,
        answeredAt: 35,
        votes: [
          [E.edsger, 1],
          [E.adele, -1],
          [E.katherine, 1],
        ],
      },
      {
        id: "5eed0006-0000-4000-8000-000000000103",
        author: E.donald,
        text: "Why not just use MongoDB?",
        status: "visible",
        at: 25,
        anonymous: true,
        votes: [
          [E.edsger, -1],
          [E.frances, -1],
          [E.niklaus, 1],
        ],
      },
      {
        id: "5eed0006-0000-4000-8000-000000000104",
        author: E.adele,
        text: "Check out my consulting services, link in my bio",
        status: "dismissed",
        at: 30,
      },
      {
        id: "5eed0006-0000-4000-8000-000000000105",
        author: E.niklaus,
        text: "Rules of thumb for partial versus expression indexes?",
        status: "visible",
        at: 45,
        pinned: true,
        answeredAt: 55,
        votes: [
          [E.edsger, 1],
          [E.frances, 1],
          [E.adele, 1],
          [E.katherine, 1],
        ],
      },
      {
        id: "5eed0006-0000-4000-8000-000000000106",
        author: E.katherine,
        text: "Does pg_repack need superuser?",
        status: "withdrawn",
        at: 50,
      },
    ],
  },
];
