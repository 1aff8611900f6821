import { useCallback, useState } from "preact/hooks";

/** A function that re-renders the component: for objects that change outside Preact's state (media links). */
export function useRedraw(): () => void {
  const [, setTick] = useState(0);
  return useCallback(() => setTick((tick) => tick + 1), []);
}
