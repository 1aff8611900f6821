/**
 * Vitest runs each global setup once per project, and this run has two (the server tests, then the browser
 * tests), but the run's PostgreSQL and its build of the browser client must exist once. The first project to ask
 * makes the resource; every project gets that same one; the last to finish tears it down.
 */
interface Entry {
  made: Promise<{ value: unknown; teardown: () => Promise<void> }>;
  users: number;
}

export async function sharedForRun<T>(
  key: string,
  make: () => Promise<{ value: T; teardown: () => Promise<void> }>,
): Promise<{ value: T; release: () => Promise<void> }> {
  // The global setups of every project run in the one main process: its global object is what they share.
  const registry = ((globalThis as { podiumRunResources?: Map<string, Entry> }).podiumRunResources ??=
    new Map());
  let entry = registry.get(key);
  if (!entry) {
    entry = { made: make(), users: 0 };
    registry.set(key, entry);
    // A failed setup is not shared: the next project tries again (and fails the same way, with its own error).
    entry.made.catch(() => registry.delete(key));
  }
  entry.users += 1;
  const current = entry;
  const { value, teardown } = (await current.made) as { value: T; teardown: () => Promise<void> };
  return {
    value,
    async release() {
      current.users -= 1;
      if (current.users > 0) return;
      registry.delete(key);
      await teardown();
    },
  };
}
