import type { DirectoryCatalog, MailTransport } from '../domain/ports.js';

type Check = { ok: boolean; required: boolean; detail?: string };

/**
 * Readiness beyond the store: the mail transport answers (checked at most every 30 s, a verify
 * opens an SMTP connection), and each directory's last probe, which informs but does not fail
 * readiness (one customer's directory being down must not take the instance out).
 */
export function readinessChecks(transport: MailTransport, catalog: DirectoryCatalog, everyMs = 30_000) {
  let mail: { at: number; check: Check } | undefined;
  return async (): Promise<Record<string, Check>> => {
    if (!mail || Date.now() - mail.at > everyMs || !mail.check.ok) {
      const check: Check = await transport.verify().then(
        () => ({ ok: true, required: true }),
        (e: unknown) => ({ ok: false, required: true, detail: `mail transport: ${(e as Error).message.slice(0, 120)}` }),
      );
      mail = { at: Date.now(), check };
    }
    const checks: Record<string, Check> = { mail: mail.check };
    for (const d of catalog.list()) {
      checks[`directory:${d.id}`] = d.lastTest
        ? { ok: d.lastTest.ok, required: false, detail: `last probe ${d.lastTest.at}: ${d.lastTest.message}` }
        : { ok: true, required: false, detail: 'not probed yet' };
    }
    return checks;
  };
}
