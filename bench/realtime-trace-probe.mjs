/**
 * Preloaded into the real-time benchmark's servers when `BENCH_RT_TRACE_DIR` is set (see `nodeFlags`): where the
 * time between a REST change and its broadcast goes, inside each server process. It timestamps node:http's
 * `request` event for `PATCH`/`POST` under /api/sessions/ (and the raw server's /broadcast/), each Fastify hook
 * (Podium), each `pg` statement sent and answered, each ioredis command sent and answered, each adapter broadcast
 * and each message read from Redis (the other instance's side). Times are CLOCK_MONOTONIC microseconds, shared by
 * every process of the machine, so one instance's publish can be matched with the other's receipt. At exit it
 * writes `<dir>/trace-<pid>.json`; `bench/realtime-trace-report.ts <dir>` summarizes them.
 *
 * A diagnostic, not a measurement: the wrappers cost a few microseconds each, so runs with it are not reported.
 * It patches the libraries' prototypes in this process only. Plain JavaScript: the server under test runs
 * without a TypeScript loader.
 */
import diagnostics from "node:diagnostics_channel";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import { dirname, join, sep } from "node:path";
import process from "node:process";

const dir = process.env.BENCH_RT_TRACE_DIR;
const entry = process.argv[1] ?? "";
const raw = entry.endsWith("realtime-raw.ts");
if (dir && (raw || entry.endsWith(`${sep}dist${sep}main.js`))) install(dir);

function install(outDir) {
  const require = createRequire(join(import.meta.dirname, "..", "package.json"));
  const now = () => Number(process.hrtime.bigint() / 1000n);
  /** One traced request: its start and its marks, in µs after the start. */
  const traces = [];
  /** Adapter broadcasts: [start, duration, traced request running (1/0)]. */
  const broadcasts = [];
  /** Messages read from Redis by a subscriber connection. */
  const received = [];
  let current = null;
  const mark = (label) => {
    if (current && !current.done) current.marks.push([label, now() - current.t0]);
  };

  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (event, request, response) {
    if (
      event === "request" &&
      (request.method === "PATCH" || request.method === "POST") &&
      (request.url.startsWith("/api/sessions/") || request.url.startsWith("/broadcast/"))
    ) {
      const trace = { t0: now(), method: request.method, marks: [], done: false };
      current = trace;
      traces.push(trace);
      response.once("finish", () => {
        if (current === trace) mark("finish");
        trace.done = true;
      });
    }
    return emit.apply(this, arguments);
  };
  const writeHead = http.ServerResponse.prototype.writeHead;
  http.ServerResponse.prototype.writeHead = function () {
    mark("writeHead");
    return writeHead.apply(this, arguments);
  };
  diagnostics.subscribe("tracing:fastify.request.handler:start", () => mark("handler"));

  const pg = require("pg");
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (config) {
    const name =
      typeof config === "string" ? config.slice(0, 30) : (config?.name ?? config?.text?.slice(0, 30));
    const trace = current;
    mark(`pg> ${name}`);
    const args = [...arguments];
    const callback = args.at(-1);
    if (typeof callback === "function") {
      args[args.length - 1] = function () {
        if (current === trace) mark(`pg< ${name}`);
        return callback.apply(this, arguments);
      };
    }
    const result = query.apply(this, args);
    result?.then?.(
      () => current === trace && mark(`pg< ${name}`),
      () => undefined,
    );
    return result;
  };

  const { Redis } = require("ioredis");
  const sendCommand = Redis.prototype.sendCommand;
  Redis.prototype.sendCommand = function (command) {
    const trace = current;
    if (trace && !trace.done) {
      mark(`redis> ${command.name}`);
      command.promise.then(
        () => current === trace && mark(`redis< ${command.name}`),
        () => undefined,
      );
    }
    return sendCommand.apply(this, arguments);
  };
  const redisEmit = Redis.prototype.emit;
  Redis.prototype.emit = function (event) {
    if (event === "messageBuffer" || event === "pmessageBuffer") received.push(now());
    return redisEmit.apply(this, arguments);
  };

  const { Adapter } = require("socket.io-adapter");
  const broadcast = Adapter.prototype.broadcast;
  Adapter.prototype.broadcast = function () {
    const start = now();
    mark("broadcast");
    const result = broadcast.apply(this, arguments);
    broadcasts.push([start, now() - start, current && !current.done ? 1 : 0]);
    return result;
  };

  if (!raw) {
    // Fastify's hooks: every instance gets its addHook from the root, which avvio sets up; fastify.js requires
    // avvio, so a wrapper in the module cache sees the root before any plugin adds a hook.
    const avvioPath = require.resolve("avvio", { paths: [dirname(require.resolve("fastify"))] });
    const avvio = require(avvioPath);
    let hookCount = 0;
    const traced = (name, fn) => {
      const id = `${name}:${fn.name || "anonymous"}:${hookCount++}`;
      const withPayload = name === "preParsing" || name === "onSend" || name === "preSerialization";
      if (fn.constructor.name === "AsyncFunction") {
        return withPayload
          ? async function (request, reply, payload) {
              mark(`${id} >`);
              try {
                return await fn.call(this, request, reply, payload);
              } finally {
                mark(`${id} <`);
              }
            }
          : async function (request, reply) {
              mark(`${id} >`);
              try {
                return await fn.call(this, request, reply);
              } finally {
                mark(`${id} <`);
              }
            };
      }
      const settled = (done) =>
        function () {
          mark(`${id} <`);
          return done.apply(this, arguments);
        };
      return withPayload
        ? function (request, reply, payload, done) {
            mark(`${id} >`);
            return fn.call(this, request, reply, payload, settled(done));
          }
        : function (request, reply, done) {
            mark(`${id} >`);
            return fn.call(this, request, reply, settled(done));
          };
    };
    const TRACED_HOOKS = new Set(["onRequest", "preParsing", "preValidation", "preHandler", "onSend"]);
    const wrapped = function (server) {
      const result = avvio.apply(this, arguments);
      const addHook = server.addHook;
      let stagesMarked = false;
      server.addHook = function (name, fn) {
        // On the root, once: marks where the body's parsing starts (every onRequest hook done, the route's own
        // too) and where its validation starts (parsed), which no hook of Podium's shows.
        if (this === server && !stagesMarked) {
          stagesMarked = true;
          addHook.call(this, "preParsing", (_request, _reply, payload, done) => {
            mark("parse");
            done(null, payload);
          });
          addHook.call(this, "preValidation", (_request, _reply, done) => {
            mark("validate");
            done();
          });
        }
        if (!TRACED_HOOKS.has(name) || typeof fn !== "function") return addHook.apply(this, arguments);
        return addHook.call(this, name, traced(name, fn));
      };
      return result;
    };
    Object.assign(wrapped, avvio);
    require.cache[avvioPath].exports = wrapped;
  }

  mkdirSync(outDir, { recursive: true });
  process.on("exit", () => {
    writeFileSync(
      join(outDir, `trace-${process.pid}.json`),
      JSON.stringify({ pid: process.pid, raw, traces, broadcasts, received }),
    );
  });
}
