import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { signIn, type SignedInUser } from "../../../test/helpers/actors.js";

/** Workspaces are better-auth organizations: created, joined by invitation, listed by /api/me with the role. */
describe("workspaces", () => {
  let t: TestApp;
  let owner: SignedInUser;
  let invitee: SignedInUser;
  beforeAll(async () => {
    t = await createTestApp();
    owner = await signIn(t.app, t.db.db, "Workspace Owner");
    invitee = await signIn(t.app, t.db.db, "Invited Member");
  });
  afterAll(async () => t?.close());

  const post = (user: SignedInUser, url: string, payload: object) =>
    t.app.inject({ method: "POST", url, headers: { authorization: `Bearer ${user.token}` }, payload });
  const me = async (user: SignedInUser) =>
    (
      await t.app.inject({
        method: "GET",
        url: "/api/me",
        headers: { authorization: `Bearer ${user.token}` },
      })
    ).json() as { workspaces: Array<{ id: string; name: string; role: string; personal: boolean }> };

  it("starts every user with a personal workspace they own", async () => {
    expect((await me(owner)).workspaces).toEqual([
      expect.objectContaining({ name: "Workspace Owner's workspace", role: "owner", personal: true }),
    ]);
  });

  it("lets an owner create a team workspace and invite someone, who joins it as a member", async () => {
    const created = await post(owner, "/api/auth/organization/create", {
      name: "Conference team",
      slug: "conf-team",
    });
    expect(created.statusCode, created.body).toBe(200);
    const workspaceId = (created.json() as { id: string }).id;

    const invited = await post(owner, "/api/auth/organization/invite-member", {
      email: invitee.email,
      role: "member",
      organizationId: workspaceId,
    });
    expect(invited.statusCode, invited.body).toBe(200);
    const invitationId = (invited.json() as { id: string }).id;

    // Nobody else can accept it.
    const stranger = await signIn(t.app, t.db.db, "Stranger");
    const stolen = await post(stranger, "/api/auth/organization/accept-invitation", { invitationId });
    expect(stolen.statusCode).toBeGreaterThanOrEqual(400);
    expect(stolen.headers["content-type"]).toContain("application/problem+json");

    const accepted = await post(invitee, "/api/auth/organization/accept-invitation", { invitationId });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect((await me(invitee)).workspaces).toContainEqual(
      expect.objectContaining({ id: workspaceId, name: "Conference team", role: "member", personal: false }),
    );
    expect((await me(stranger)).workspaces.some((w) => w.id === workspaceId)).toBe(false);
  });

  it("does not let a member invite others", async () => {
    const created = await post(owner, "/api/auth/organization/create", {
      name: "Closed team",
      slug: "closed-team",
    });
    const workspaceId = (created.json() as { id: string }).id;
    const invited = await post(owner, "/api/auth/organization/invite-member", {
      email: invitee.email,
      role: "member",
      organizationId: workspaceId,
    });
    await post(invitee, "/api/auth/organization/accept-invitation", {
      invitationId: (invited.json() as { id: string }).id,
    });
    const refused = await post(invitee, "/api/auth/organization/invite-member", {
      email: "someone@example.test",
      role: "admin",
      organizationId: workspaceId,
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers["content-type"]).toContain("application/problem+json");
  });
});
