// Runs tasks with at most `limit` in flight. The first failure stops new tasks from starting and is what the
// returned promise rejects with (callers abort the in-flight ones through their own signal).
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
  onFirstError?: (err: unknown) => void,
): Promise<void> {
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await task(items[i], i);
      } catch (err) {
        if (!failed) {
          failed = true;
          firstError = err;
          onFirstError?.(err);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw firstError;
}
