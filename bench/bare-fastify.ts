/**
 * The baseline: a bare Fastify 5 hello-world with nothing of Podium in it (no logger, no hooks, no schema).
 * Run as a child process by bench/run.ts: `PORT=… node --import tsx bench/bare-fastify.ts`. Prints one
 * `bare-fastify ready <url>` line on stdout once it listens; exits 0 on SIGTERM/SIGINT after closing.
 */
import Fastify from "fastify";

const port = Number(process.env.PORT ?? "3001");
const host = process.env.HOST ?? "127.0.0.1";
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`bare-fastify: PORT must be an integer 0–65535 (got ${JSON.stringify(process.env.PORT)})`);
  process.exit(78);
}

const app = Fastify({ logger: false });
app.get("/", async () => ({ hello: "world" }));

const url = await app.listen({ host, port });
console.log(`bare-fastify ready ${url}`);

const stop = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
