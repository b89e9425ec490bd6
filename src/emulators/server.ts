/** A tiny HTTP server on 127.0.0.1 with a queue of one-shot faults per route: the base of every emulator. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

export class EmulatorServer<F> {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly faults = new Map<string, F[]>();
  readonly requests: RecordedRequest[] = [];
  url = '';

  constructor(private readonly handler: Handler) {}

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      // Only requests addressed to this machine by name: a web page that rebinds its own host name to
      // 127.0.0.1 (DNS rebinding) must not read the sample data `writeback emulate` serves. Assumption of
      // ours, not vendor behaviour: the vendors' own hosts are not reachable here at all.
      if (!this.acceptsHost(req.headers.host)) {
        res.writeHead(421, { 'content-type': 'text/plain' }).end('emulator: requests must address 127.0.0.1 or localhost');
        return;
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      this.requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, headers: req.headers });
      Promise.resolve(this.handler(req, res, url)).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`emulator error: ${error instanceof Error ? error.message : String(error)}`);
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // A port in use (EADDRINUSE) rejects instead of crashing the process with an unhandled 'error' event.
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => {
        this.server!.off('error', reject);
        resolve();
      });
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  private acceptsHost(host: string | undefined): boolean {
    const port = (this.server?.address() as AddressInfo | null)?.port;
    return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Queues a fault for the next `times` requests to `route`. */
  inject(route: string, fault: F, times = 1): void {
    const queue = this.faults.get(route) ?? [];
    for (let i = 0; i < times; i++) queue.push(fault);
    this.faults.set(route, queue);
  }

  takeFault(route: string): F | undefined {
    return this.faults.get(route)?.shift();
  }

  pendingFaults(): number {
    return [...this.faults.values()].reduce((n, q) => n + q.length, 0);
  }
}

/** What every emulator shares: its server, start and stop, and its base URL. */
export abstract class Emulator<F> {
  readonly server: EmulatorServer<F> = new EmulatorServer<F>((req, res, url) => this.handle(req, res, url));

  protected abstract handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> | void;

  start(port?: number): Promise<string> {
    return this.server.start(port);
  }
  stop(): Promise<void> {
    return this.server.stop();
  }
  get url(): string {
    return this.server.url;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
