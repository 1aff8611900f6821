import { z } from "zod";
import { withExamples } from "../../plugins/docs.examples.js";
import { EXAMPLE_SESSION_ID } from "../sessions/sessions.examples.js";

export const EXAMPLE_QUESTION_ID = "9c4e1b7a-2f3d-4a8e-b5c6-7d0e1f2a3b4c";

export const questionSchema = z
  .object({
    id: z.uuid(),
    sessionId: z.uuid(),
    text: z.string(),
    authorName: z.string().nullable().meta({ description: "null when asked anonymously" }),
    anonymous: z.boolean(),
    status: z.enum(["pending", "visible", "dismissed", "withdrawn"]),
    pinned: z.boolean(),
    answered: z.boolean(),
    answeredAt: z.iso.datetime().nullable(),
    upvotes: z.int(),
    downvotes: z.int(),
    score: z.number().meta({ description: "`top` ranking score: Wilson lower bound of the positive share" }),
    version: z.int(),
    createdAt: z.iso.datetime(),
    editedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "Question" });

export const viewerQuestionSchema = questionSchema
  .extend({
    mine: z.boolean().meta({ description: "asked by the caller" }),
    myVote: z.union([z.literal(-1), z.literal(0), z.literal(1)]).meta({ description: "the caller's vote" }),
  })
  .meta({ id: "ViewerQuestion" });

export const questionExample: z.input<typeof viewerQuestionSchema> = {
  id: EXAMPLE_QUESTION_ID,
  sessionId: EXAMPLE_SESSION_ID,
  text: "Will the recording be shared afterwards?",
  authorName: "Ada L.",
  anonymous: false,
  status: "visible",
  pinned: false,
  answered: false,
  answeredAt: null,
  upvotes: 12,
  downvotes: 0,
  score: 0.7575,
  version: 14,
  createdAt: "2026-03-12T16:07:41.118Z",
  editedAt: null,
  mine: false,
  myVote: 1,
};

export const askBody = withExamples(
  z
    .object({
      // Trimmed and checked against the session's maxQuestionLength by the service.
      text: z.string().max(2_000),
      anonymous: z.boolean().optional(),
    })
    .strict(),
  [{ text: "Will the recording be shared afterwards?", anonymous: false }],
);

export const voteBody = withExamples(
  z
    .object({
      value: z
        .union([z.literal(1), z.literal(0), z.literal(-1)])
        .meta({ description: "+1, -1 (when the session allows downvotes), 0 to retract" }),
    })
    .strict(),
  [{ value: 1 }],
);

export const patchBody = withExamples(
  z
    .object({
      text: z.string().max(2_000).optional(),
      status: z
        .enum(["visible", "dismissed", "withdrawn"])
        .optional()
        .meta({ description: "visible: approve (or restore); dismissed: moderators; withdrawn: the author" }),
      pinned: z.boolean().optional(),
      answered: z.boolean().optional(),
    })
    .strict()
    .refine((patch) => Object.keys(patch).length > 0, "send at least one field"),
  [{ pinned: true }, { answered: true }, { status: "visible" }, { text: "Will the slides be shared?" }],
);

export const listQuery = z
  .object({
    sort: z
      .enum(["top", "new", "trending"])
      .default("top")
      .meta({ examples: ["top"] }),
    status: z
      .enum(["open", "answered", "pending", "dismissed", "all"])
      .default("open")
      .meta({
        examples: ["open"],
        description:
          "open: on the board, not answered (an attendee also sees its own pending questions); answered; " +
          "pending, dismissed, all: moderators only",
      }),
    cursor: z.string().max(300).optional().meta({ description: "`nextCursor` of the previous page" }),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(200)
      .default(50)
      .meta({ examples: [50] }),
  })
  .strict();

export const questionPageSchema = withExamples(
  z.object({ items: z.array(viewerQuestionSchema), nextCursor: z.string().nullable() }),
  [{ items: [questionExample], nextCursor: null }],
);
