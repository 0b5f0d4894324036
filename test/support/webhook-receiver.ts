import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { until } from './wait.js';

export interface Received {
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as it arrived (what a signature covers). */
  body: string;
  json: { id: string; type: string; createdAt: string; data: Record<string, unknown> };
  /** When it arrived, ms since the epoch. */
  at: number;
}

/**
 * A real HTTP receiver on 127.0.0.1 that records every POST. `answers` are used in turn (status and
 * headers); once they run out it answers 204.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  readonly answers: Array<{ status: number; headers?: Record<string, string>; delayMs?: number }> = [];

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(path = '/hooks/resetbridge'): Promise<WebhookReceiver> {
    let self: WebhookReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        self!.received.push({ headers: req.headers, body, json: JSON.parse(body) as Received['json'], at: Date.now() });
        const answer = self!.answers.shift() ?? { status: 204 };
        setTimeout(() => res.writeHead(answer.status, answer.headers ?? {}).end(), answer.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    self = new WebhookReceiver(server, `http://127.0.0.1:${port}${path}`);
    return self;
  }

  ofType(type: string): Received[] {
    return this.received.filter((r) => r.json.type === type);
  }

  /** Waits for the first request whose event matches. */
  waitFor(what: string, match: (r: Received) => boolean, timeoutMs = 15_000): Promise<Received> {
    return until(what, () => this.received.find(match), timeoutMs);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
