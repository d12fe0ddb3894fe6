/** Bounds a call to a backing service, so a hung connection never hangs a request. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  // A late failure of the losing promise must not become an unhandled rejection.
  p.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
