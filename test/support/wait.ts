type Probe<T> = () => Promise<T | undefined | false> | T | undefined | false;

/** Polls `probe` every `everyMs` until it gives a truthy value, which it returns; fails after `timeoutMs`. */
export async function until<T>(what: string, probe: Probe<T>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
