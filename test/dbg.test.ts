import { it } from "vitest";
import { createTestApp } from "./helpers/app.js";
it("dbg", async () => {
  const t = await createTestApp();
  const res = await t.app.inject({ method: "GET", url: "/api/me", headers: { authorization: "Bearer s3cr3t-bearer", cookie: "session=x", "x-api-key": "k" } });
  console.log(res.statusCode, res.body);
  for (const l of t.logs.lines) if ((l.level as number) >= 40) console.log(JSON.stringify(l).slice(0, 1500));
  await t.close();
});
