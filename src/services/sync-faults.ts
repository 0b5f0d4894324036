/**
 * Named crash points for the crash tests: with RESETBRIDGE_CRASH_AT=<step> the process kills itself
 * (SIGKILL, like a power cut) when it reaches that step. The one step that needs it is the instant
 * between the primary directory taking a password and the link being consumed: no outside timing
 * can stop a process there. Production refuses to start with it set.
 */
export function crashPoint(production: boolean, value = process.env.RESETBRIDGE_CRASH_AT): ((step: string) => void) | undefined {
  if (!value) return undefined;
  if (production) throw new Error('RESETBRIDGE_CRASH_AT is set: it stops the process on purpose, for tests only, and is refused in production.');
  return (step) => {
    if (step === value) process.kill(process.pid, 'SIGKILL');
  };
}
