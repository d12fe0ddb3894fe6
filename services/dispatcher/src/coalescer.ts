/**
 * Gathers calls made in the same turn of the event loop into one batch (flushed on
 * setImmediate, or at once when `max` are waiting): many deliveries finishing together cost
 * one Redis script call instead of one each. Every caller gets the batch's outcome.
 */
export function coalescer<T>(flush: (items: T[]) => Promise<void>, max = 500): (item: T) => Promise<void> {
  let batch: Array<{ item: T; resolve: () => void; reject: (err: unknown) => void }> = [];
  let scheduled = false;
  const run = () => {
    scheduled = false;
    const taken = batch;
    batch = [];
    if (taken.length === 0) return;
    flush(taken.map((b) => b.item)).then(
      () => {
        for (const b of taken) b.resolve();
      },
      (err: unknown) => {
        for (const b of taken) b.reject(err);
      },
    );
  };
  return (item) =>
    new Promise<void>((resolve, reject) => {
      batch.push({ item, resolve, reject });
      if (batch.length >= max) run();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(run);
      }
    });
}
