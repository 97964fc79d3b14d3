/**
 * Waiting in tests for something observable instead of for a length of time: `waitFor` asks
 * again until the condition holds, a bounded number of times, and fails naming what never
 * happened. Tests never assert on elapsed time; a slow machine only makes them wait longer.
 */

export interface WaitOptions {
  /** What is being waited for, as the failure message says it ("the call is in flight upstream"). */
  what: string;
  /** How many times to ask (default 400). */
  tries?: number;
  /** Pause between two tries, in ms (default 25). */
  intervalMs?: number;
}

/**
 * Ask `check` until it returns true (or a truthy value, which is returned), at most `tries`
 * times. A check that throws counts as "not yet"; its last error is part of the failure message.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { what, tries = 400, intervalMs = 25 }: WaitOptions,
): Promise<Exclude<T, false | 0 | '' | null | undefined>> {
  let lastError: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      const value = await check();
      if (value) return value as Exclude<T, false | 0 | '' | null | undefined>;
    } catch (err) {
      lastError = err;
    }
    if (i < tries - 1) await new Promise((r) => setTimeout(r, intervalMs));
  }
  const why = lastError === undefined ? '' : ` (last error: ${(lastError as Error).message ?? lastError})`;
  throw new Error(`waited ${tries} times, still not: ${what}${why}`);
}
