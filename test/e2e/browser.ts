import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser as PlaywrightBrowser, type BrowserContext } from "playwright-core";
import { projectRoot } from "../../src/lib/paths.js";

/** Debian's Chromium (apt-get install chromium); never a downloaded browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Fake camera and screen, loopback ICE candidates with real addresses (no mDNS names), no background throttling
 * (several pages play at once), and none of Chromium's own network traffic (the machine has no internet).
 */
const ARGS = [
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--auto-select-desktop-capture-source=Entire screen",
  "--allow-loopback-in-peer-connection",
  "--disable-features=WebRtcHideLocalIpsWithMdns",
  "--disable-background-timer-throttling",
  "--disable-renderer-backgrounding",
  "--disable-backgrounding-occluded-windows",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

function assertChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  }
}

/** One Chromium process whose contexts are separate people: each its own cookies and storage. */
export async function launchChromiumBrowser(): Promise<PlaywrightBrowser> {
  assertChromium();
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

export async function launchChromium(): Promise<Browser> {
  assertChromium();
  const dir = await mkdtemp(join(tmpdir(), "podium-e2e-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The test page: socket.io-client's browser build and test/e2e/page/client.js, on an origin of its own. */
export async function servePage(): Promise<{ origin: string; close(): Promise<void> }> {
  const files: Record<string, [string, string]> = {
    "/": [
      "text/html",
      `<!doctype html><meta charset="utf-8"><title>podium e2e</title>
       <button id="share" onclick="window.share = window.podium.startScreen().then((id) => ({id}), (e) => ({error: e.message}))">share</button>
       <script src="/socket.io.min.js"></script><script src="/client.js"></script>`,
    ],
    "/socket.io.min.js": [
      "text/javascript",
      await readFile(join(projectRoot(), "node_modules/socket.io-client/dist/socket.io.min.js"), "utf8"),
    ],
    "/client.js": ["text/javascript", await readFile(join(projectRoot(), "test/e2e/page/client.js"), "utf8")],
  };
  const server: Server = createServer((req, res) => {
    const file = files[req.url ?? ""];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": file[0] }).end(file[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no address");
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
