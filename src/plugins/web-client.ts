import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";
import fp from "fastify-plugin";
import { AppError } from "../lib/errors.js";

/**
 * The browser client (web/, built by Vite into `dir`): the presenter console at `/`, the attendee page at `/join`
 * and `/join/:code`, and their hashed assets under `/assets/`. The pages are read once at start; the assets are
 * immutable (their names change with their content), so browsers keep them for a year.
 */
export const PAGES = { console: "index.html", attendee: "join.html" } as const;

/**
 * Scripts, styles and connections to this origin only (the socket included: `'self'` covers ws: and wss: to the
 * same host); images also from https (Google and GitHub profile pictures); nothing may frame the pages.
 */
export const CLIENT_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https:",
  "connect-src 'self'",
  "media-src 'self' blob: mediastream:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export interface WebClientOptions {
  /** The folder Vite built (dist/web); absent pages answer 503 CLIENT_NOT_BUILT. */
  dir: string;
}

async function webClient(app: FastifyInstance, { dir }: WebClientOptions) {
  const read = (name: string) => {
    const path = join(dir, name);
    return existsSync(path) ? readFileSync(path, "utf8") : null;
  };
  const pages = { console: read(PAGES.console), attendee: read(PAGES.attendee) };
  if (!pages.console || !pages.attendee) {
    app.log.warn({ dir }, "the browser client is not built: run `npm run build` (npm start does it)");
  }
  const send = (html: string | null, reply: FastifyReply) => {
    if (html === null) {
      throw new AppError(
        "CLIENT_NOT_BUILT",
        503,
        "The browser client is not built: run `npm run build` (npm start does it), then restart.",
      );
    }
    return reply
      .header("content-type", "text/html; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("content-security-policy", CLIENT_CSP)
      .send(html);
  };
  const page = { schema: { hide: true } };
  app.get("/", page, (_request, reply) => send(pages.console, reply));
  app.get("/join", page, (_request, reply) => send(pages.attendee, reply));
  app.get("/join/:code", page, (_request, reply) => send(pages.attendee, reply));

  const assets = join(dir, "assets");
  if (existsSync(assets)) {
    await app.register(fastifyStatic, {
      root: assets,
      prefix: "/assets/",
      decorateReply: false,
      index: false,
      list: false,
      wildcard: true,
      immutable: true,
      maxAge: "365d",
      schemaHide: true,
    });
  }
}

export default fp(webClient, { name: "web-client" });
