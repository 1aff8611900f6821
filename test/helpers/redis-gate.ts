import type { Command, Redis } from "ioredis";

/**
 * Holds back the answers to what a client asks Redis from now on (the commands still go out and run): what a
 * test sees finish meanwhile did not wait for Redis. `sent` lists the commands (name and first `podium:` key);
 * `release` hands the held answers over, in order, and stops holding.
 */
export function holdAnswers(redis: Redis): { sent: string[]; release(): void } {
  const sent: string[] = [];
  const held: Array<() => void> = [];
  let holding = true;
  const original = redis.sendCommand;
  const sendCommand = original.bind(redis);
  redis.sendCommand = ((command: Command, stream?: never) => {
    const key = command.args.find((arg) => typeof arg === "string" && arg.startsWith("podium:"));
    sent.push(`${command.name} ${String(key)}`);
    const resolve = command.resolve;
    command.resolve = (value) => {
      if (holding) held.push(() => resolve(value));
      else resolve(value);
    };
    return sendCommand(command, stream);
  }) as typeof sendCommand;
  return {
    sent,
    release() {
      holding = false;
      redis.sendCommand = original;
      for (const answer of held.splice(0)) answer();
    },
  };
}

/** Rejects after `ms`: raced against what must not wait for a held answer, so that a test fails instead of hanging. */
export function failAfter(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms);
    timer.unref();
  });
}
