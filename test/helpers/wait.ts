// Polling: every test that waits for something to happen waits through these.
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `cond` every `stepMs` until it holds (true) or `timeoutMs` passed (false). */
export async function waitUntil(cond: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (cond()) return true;
    if (performance.now() >= end) return false;
    await sleep(stepMs);
  }
}

/** Like waitUntil, but a timeout throws naming `what`; resolves with the ms waited. */
export async function waitFor(what: string, cond: () => boolean, timeoutMs: number, stepMs = 20): Promise<number> {
  const t0 = performance.now();
  if (!(await waitUntil(cond, timeoutMs, stepMs))) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
  return performance.now() - t0;
}
