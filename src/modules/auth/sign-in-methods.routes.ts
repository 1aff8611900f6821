import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { withExamples } from "../../plugins/docs.examples.js";

export const signInMethodsSchema = withExamples(
  z
    .object({
      /** OAuth providers configured on this server: `POST /api/auth/sign-in/social` with one of them. */
      providers: z.array(z.enum(["google", "github"])),
      /** Whether `POST /api/auth/dev/sign-in` exists (no provider configured and not production). */
      devSignIn: z.boolean(),
    })
    .meta({ id: "SignInMethods" }),
  [{ providers: ["google", "github"], devSignIn: false }],
);

export type SignInMethods = z.infer<typeof signInMethodsSchema>;

/** GET /api/sign-in/methods: what the sign-in page offers. Public; says only what the server's setup is. */
export const signInMethodsRoutes: FastifyPluginAsyncZod<{ methods: SignInMethods }> = async (
  app,
  { methods },
) => {
  app.get(
    "/api/sign-in/methods",
    {
      schema: {
        tags: ["auth"],
        summary: "The sign-in methods this server offers (providers, development sign-in)",
        security: [],
        response: { 200: signInMethodsSchema },
      },
    },
    () => methods,
  );
};
