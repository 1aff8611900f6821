import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { projectRoot } from "../src/lib/paths.js";
import { sharedForRun } from "./helpers/run-once.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The browser client (web/) as built for this run: what the end-to-end tests serve. */
    webClientDir: string;
  }
}

/**
 * Builds the browser client once per test run, from the sources as they are now, into a folder of the run's own
 * (never dist/web, which `npm start` serves), so the browser tests always test the current client.
 */
export default async function setup(project: TestProject) {
  const { value, release } = await sharedForRun("web-client", build);
  project.provide("webClientDir", value);
  return release;
}

async function build() {
  const outDir = await mkdtemp(join(tmpdir(), "podium-web-"));
  const vite = await import("vite");
  const previous = process.env.WEB_BUILD_OUT_DIR;
  process.env.WEB_BUILD_OUT_DIR = outDir;
  try {
    await vite.build({ configFile: join(projectRoot(), "web", "vite.config.ts"), logLevel: "error" });
  } finally {
    if (previous === undefined) delete process.env.WEB_BUILD_OUT_DIR;
    else process.env.WEB_BUILD_OUT_DIR = previous;
  }
  return { value: outDir, teardown: () => rm(outDir, { recursive: true, force: true }) };
}
