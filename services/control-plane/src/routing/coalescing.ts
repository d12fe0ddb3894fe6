/**
 * Runs `run` for one call at a time, and gathers the calls that arrive while it runs into one
 * next run. A caller never joins the run in progress: that run may have read its inputs before
 * the caller's own writes, so its result could miss them. The next run starts as soon as the
 * running one has settled (fulfilled or rejected), with the arguments of every caller that
 * waited for it, and each of them gets its outcome — a failure reaches only the callers of the
 * run that failed.
 */
export function coalescing<A, R>(run: (args: A[]) => Promise<R>): (arg: A) => Promise<R> {
  let running = false;
  let next: { args: A[]; started: (result: Promise<R>) => void; result: Promise<R> } | undefined;
  const start = (args: A[]): Promise<R> => {
    running = true;
    // Through an async function, so that `run` throwing before its first await still rejects.
    const result = (async () => run(args))();
    const settled = () => {
      running = false;
      const waiting = next;
      next = undefined;
      if (waiting) waiting.started(start(waiting.args));
    };
    result.then(settled, settled);
    return result;
  };
  return (arg) => {
    if (!running) return start([arg]);
    if (!next) {
      let started!: (result: Promise<R>) => void;
      const result = new Promise<R>((resolve) => {
        started = resolve;
      });
      next = { args: [], started, result };
    }
    next.args.push(arg);
    return next.result;
  };
}
