/**
 * Preloaded into the real-time benchmark's servers (`node --expose-gc --import ./bench/realtime-heap-probe.mjs
 * …`), Podium's dist/main.js and the raw Socket.io baseline alike, so Podium needs no bench-only route: on
 * SIGUSR2 it runs full garbage collections and prints one line
 * `realtime-heap-probe {"heapUsed":…,"heapTotal":…,"rss":…,"external":…,"arrayBuffers":…}` on stdout.
 * Plain JavaScript: the server under test runs without a TypeScript loader.
 */
import process from "node:process";
import { setImmediate } from "node:timers";
import { getHeapCodeStatistics } from "node:v8";

const MARKER = "realtime-heap-probe";

async function probe() {
  if (typeof globalThis.gc !== "function") {
    process.stdout.write(`${MARKER} ${JSON.stringify({ error: "start node with --expose-gc" })}\n`);
    return;
  }
  // Several passes with turns of the event loop between them: finalizers and weak callbacks run, and what
  // they release is collected by the next pass.
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const m = process.memoryUsage();
  const code = getHeapCodeStatistics();
  const figures = {
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    rss: m.rss,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    // V8's compiled code with its metadata (deoptimization data, relocation info, source positions) and bytecode,
    // part of heapUsed: it grows while the JIT optimizes, and deoptimizes and optimizes again, the server's
    // functions, which is not memory a connection left behind.
    codeUsed: code.code_and_metadata_size + code.bytecode_and_metadata_size,
  };
  process.stdout.write(`${MARKER} ${JSON.stringify(figures)}\n`);
}

process.on("SIGUSR2", () => {
  probe().catch((error) => process.stderr.write(`${MARKER} failed: ${error}\n`));
});
