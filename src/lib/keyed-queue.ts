/**
 * Runs the tasks given one key one after another, in the order given, each once the one before has settled
 * (fulfilled or not); tasks of different keys run concurrently. A task given while its key is idle starts at once.
 */
export function createKeyedQueue(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return (key, task) => {
    const previous = tails.get(key);
    const next = previous ? previous.then(task, task) : task();
    tails.set(key, next);
    void next
      .finally(() => {
        if (tails.get(key) === next) tails.delete(key);
      })
      .catch(() => undefined);
    return next;
  };
}
