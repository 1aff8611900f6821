import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { LogCapture } from "../../test/helpers/app.js";
import { requestLogger } from "./request-logger.js";

describe("per-request logger", () => {
  it("writes with the request's bindings at enabled levels and stays silent below", () => {
    const logs = new LogCapture();
    const parent = pino({ level: "warn" }, logs);
    const log = requestLogger(parent, { requestId: "req-12345678" }, {});
    log.info("not written");
    log.debug({ x: 1 }, "not written either");
    expect(logs.lines).toHaveLength(0);

    log.warn({ code: "X" }, "written");
    log.error(new Error("boom"));
    expect(logs.lines).toHaveLength(2);
    expect(logs.lines[0]).toMatchObject({ requestId: "req-12345678", code: "X", msg: "written", level: 40 });
    expect(logs.lines[1]).toMatchObject({ requestId: "req-12345678", level: 50 });
    expect(JSON.stringify(logs.lines[1])).toContain("boom");
  });

  it("supports child loggers and level changes like a pino logger", () => {
    const logs = new LogCapture();
    const log = requestLogger(pino({ level: "info" }, logs), { requestId: "req-abcdefgh" }, {});
    expect(log.level).toBe("info");
    log.child({ component: "x" }).info("from a child");
    expect(logs.lines[0]).toMatchObject({ requestId: "req-abcdefgh", component: "x", msg: "from a child" });
    log.level = "error";
    log.warn("dropped");
    expect(logs.lines).toHaveLength(1);
    expect(log.isLevelEnabled("error")).toBe(true);
  });
});
