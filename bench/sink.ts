import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server that counts messages and keeps the reset links, without parsing MIME. */
export async function startSink() {
  const links: string[] = [];
  let count = 0;
  let waiters: Array<() => void> = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false, maxClients: 1000,
    onData(stream, _session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        count++;
        const m = /https?:\/\/[^\s"<>]+\/reset\/[A-Za-z0-9_-]{43}/.exec(Buffer.concat(chunks).toString('latin1').replace(/=\r?\n/g, ''));
        // A match is a slice of the whole message and would keep it alive: the link is copied, so
        // the bench's heap figures are the product's, not 3 KB of kept mail per link.
        if (m) links.push(Buffer.from(m[0], 'latin1').toString('latin1'));
        for (const w of waiters.splice(0)) w();
        done();
      });
    },
  });
  // A client that dies mid-transaction (a product killed by a test) resets its connection; a mail
  // server carries on, where an unheard 'error' event would crash this process.
  server.on('error', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.server.address() as AddressInfo).port,
    links,
    get count() { return count; },
    async waitForCount(n: number, timeoutMs: number): Promise<boolean> {
      const deadline = Date.now() + timeoutMs;
      while (count < n) {
        if (Date.now() > deadline) return false;
        await new Promise<void>((r) => { const t = setTimeout(r, 200); waiters.push(() => { clearTimeout(t); r(); }); });
      }
      return true;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
