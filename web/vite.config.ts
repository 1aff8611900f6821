import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The browser client: two pages, the presenter console (index.html, served at /) and the attendee page
 * (join.html, served at /join and /join/:code). Built into dist/web, or WEB_BUILD_OUT_DIR (the tests build a copy
 * of their own), and served by the API server itself (src/plugins/web-client.ts).
 */
export default defineConfig({
  root: here("."),
  base: "/",
  publicDir: false,
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: process.env.WEB_BUILD_OUT_DIR ?? here("../dist/web"),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    reportCompressedSize: false,
    rollupOptions: { input: { console: here("index.html"), attendee: here("join.html") } },
  },
});
