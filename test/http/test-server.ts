/** A real HTTP server on 127.0.0.1 for the HttpClient tests, and helpers to read what it answered. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { HttpError } from '../../src/errors/index.ts';
import { HttpClient, type HttpOptions } from '../../src/http/client.ts';
import { Redactor } from '../../src/http/redact.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  at: number;
}

/** One server for the file; each test sets its handler and reads what arrived. */
export function useServer() {
  const state = { base: '', seen: [] as Seen[], handler: ((_req, res) => res.end('ok')) as Handler };
  const server = createServer((req, res) => {
    state.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, at: performance.now() });
    state.handler(req, res, state.seen.length);
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    state.seen = [];
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return state;
}

/** Call once per test file, at its top. */
export function useClient() {
  const server = useServer();
  const client = (options: Partial<HttpOptions> = {}) =>
    new HttpClient({ service: 'Acme', baseUrl: server.base, redactor: new Redactor(), retryBaseMs: 2, timeoutMs: 5000, ...options });
  return { server, client };
}

export const answer = (status: number, body = '', headers: Record<string, string> = {}): Handler => (_req, res) => {
  res.writeHead(status, headers);
  res.end(body);
};

/** The rejection of a promise, which must be an HttpError. */
export async function failure(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}
