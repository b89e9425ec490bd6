/**
 * Domo platform API emulator: OAuth client credentials, DataSet metadata, CSV export and SQL query, with
 * Domo's error shapes (JSON with `toe`, OAuth errors, and the 406 HTML answer to a bad token on CSV).
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { csvLine } from '../pipeline/csv-line.ts';
import { Emulator, readBody, sendJson, wait } from './server.ts';

export type DomoFault =
  | { kind: 'status'; status: number; retryAfter?: number }
  | { kind: 'reset'; afterBytes: number }
  | { kind: 'truncate'; afterRows: number }
  | { kind: 'slow'; delayMs: number };

export type DomoRoute = 'token' | 'metadata' | 'export' | 'query';

export interface EmulatedDataSet {
  id: string;
  name: string;
  columns: { name: string; type: string }[];
  /** Rows as text; '' is an empty field. */
  rows?: string[][];
  /** Or a CSV file with a header line, for large data (the bench). */
  csvFile?: string;
  rowCount?: number;
  updatedAt?: string;
}

export class DomoEmulator extends Emulator<DomoFault> {
  readonly datasets = new Map<string, EmulatedDataSet>();
  private readonly clients = new Map<string, string>();
  private readonly tokens = new Map<string, number>();
  tokenTtlSeconds = 3599;
  tokensIssued = 0;

  constructor(clients: Record<string, string> = {}) {
    super();
    for (const [id, secret] of Object.entries(clients)) this.clients.set(id, secret);
  }

  addDataSet(dataset: EmulatedDataSet): void {
    this.datasets.set(dataset.id, { updatedAt: new Date().toISOString(), ...dataset });
  }

  appendRows(id: string, rows: string[][]): void {
    const ds = this.datasets.get(id)!;
    ds.rows!.push(...rows);
    ds.updatedAt = new Date().toISOString();
  }

  inject(route: DomoRoute, fault: DomoFault, times = 1): void {
    this.server.inject(route, fault, times);
  }

  /** Invalidates every token, as if they had all expired. */
  expireTokens(): void {
    this.tokens.clear();
  }

  private error(res: ServerResponse, status: number, reason: string, message: string, headers: Record<string, string> = {}): void {
    sendJson(res, status, { status, statusReason: reason, message, toe: randomUUID().replace(/-/g, '').toUpperCase().slice(0, 20) }, headers);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path === '/oauth/token') return this.token(req, res, url);
    let match = /^\/v1\/datasets\/([^/]+)$/.exec(path);
    if (match && req.method === 'GET') return this.withDataSet(req, res, 'metadata', decodeURIComponent(match[1]!), (ds) => this.metadata(res, ds));
    match = /^\/v1\/datasets\/([^/]+)\/data$/.exec(path);
    if (match && req.method === 'GET') return this.withDataSet(req, res, 'export', decodeURIComponent(match[1]!), (ds) => this.export(req, res, url, ds));
    match = /^\/v1\/datasets\/query\/execute\/([^/]+)$/.exec(path);
    if (match && req.method === 'POST') return this.withDataSet(req, res, 'query', decodeURIComponent(match[1]!), (ds) => this.query(req, res, ds));
    this.error(res, 404, 'Not Found', `No route for ${req.method} ${path}`);
  }

  private async token(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const fault = this.server.takeFault('token');
    if (fault?.kind === 'status') return this.error(res, fault.status, 'Error', 'injected', retryHeader(fault.retryAfter));
    let id = '';
    let secret = '';
    const auth = req.headers.authorization ?? '';
    if (auth.startsWith('Basic ')) {
      [id = '', secret = ''] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
    } else if (req.method === 'POST') {
      const form = new URLSearchParams((await readBody(req)).toString());
      id = form.get('client_id') ?? '';
      secret = form.get('client_secret') ?? '';
    }
    if (url.searchParams.get('grant_type') !== 'client_credentials' && req.method === 'GET') {
      return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'Unsupported grant type' });
    }
    if (!id || this.clients.get(id) !== secret) {
      return sendJson(res, 401, { error: 'unauthorized', error_description: 'Bad credentials' });
    }
    const token = `eyJ${randomUUID().replace(/-/g, '')}.${randomUUID().replace(/-/g, '')}`;
    this.tokens.set(token, Date.now() + this.tokenTtlSeconds * 1000);
    this.tokensIssued++;
    sendJson(res, 200, { access_token: token, token_type: 'bearer', expires_in: this.tokenTtlSeconds, scope: 'data user', customer: 'emulated', userId: 1, role: 'Admin', jti: randomUUID() });
  }

  private async withDataSet(req: IncomingMessage, res: ServerResponse, route: DomoRoute, id: string, then: (ds: EmulatedDataSet) => Promise<void> | void): Promise<void> {
    const fault = this.server.takeFault(route);
    const csv = (req.headers.accept ?? '').includes('text/csv');
    const token = /^bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const valid = token !== undefined && (this.tokens.get(token) ?? 0) > Date.now();
    if (!valid || (fault?.kind === 'status' && (fault.status === 401 || fault.status === 406))) {
      if (csv) {
        res.writeHead(406, { 'content-type': 'text/html' });
        return void res.end('<html><body><h1>406 Not Acceptable</h1></body></html>');
      }
      return this.error(res, 401, 'Unauthorized', 'Full authentication is required to access this resource', {
        'www-authenticate': 'Bearer realm="api", error="invalid_token", error_description="Invalid access token"',
      });
    }
    if (fault?.kind === 'status') return this.error(res, fault.status, 'Error', 'Injected failure', retryHeader(fault.retryAfter));
    const ds = this.datasets.get(id);
    if (!ds) return this.error(res, 404, 'Not Found', `DataSet ${id} not found`);
    if (fault) this.server.inject(`${route}:active`, fault);
    await then(ds);
  }

  private metadata(res: ServerResponse, ds: EmulatedDataSet): void {
    sendJson(res, 200, {
      id: ds.id,
      name: ds.name,
      description: '',
      owner: { id: 1, name: 'Emulated Owner' },
      rows: ds.rowCount ?? ds.rows?.length ?? 0,
      columns: ds.columns.length,
      createdAt: '2024-01-01T00:00:00Z',
      updatedAt: ds.updatedAt,
      dataCurrentAt: ds.updatedAt,
      schema: { columns: ds.columns },
      pdpEnabled: false,
      policies: [],
    });
  }

  private async export(req: IncomingMessage, res: ServerResponse, url: URL, ds: EmulatedDataSet): Promise<void> {
    const fault = this.server.takeFault('export:active');
    const includeHeader = url.searchParams.get('includeHeader') === 'true';
    res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
    if (fault?.kind === 'slow') await wait(fault.delayMs);
    if (ds.csvFile) {
      const stream = createReadStream(ds.csvFile);
      let first = !includeHeader;
      for await (const chunk of stream) {
        let data = chunk as Buffer;
        if (first) {
          data = data.subarray(data.indexOf(10) + 1);
          first = false;
        }
        if (!res.write(data)) await new Promise((resolve) => res.once('drain', resolve));
      }
      return void res.end();
    }
    let sent = 0;
    let chunk = includeHeader ? csvLine(ds.columns.map((c) => c.name)) : '';
    const rows = ds.rows ?? [];
    const limit = fault?.kind === 'truncate' ? Math.min(fault.afterRows, rows.length) : rows.length;
    for (let i = 0; i < limit; i++) {
      chunk += csvLine(rows[i]!);
      if (chunk.length > 64 * 1024 || i === limit - 1) {
        if (fault?.kind === 'reset' && sent + chunk.length > fault.afterBytes) {
          res.write(chunk.slice(0, Math.max(0, fault.afterBytes - sent)));
          await wait(20);
          return void req.socket.destroy();
        }
        sent += chunk.length;
        if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
        chunk = '';
      }
    }
    if (chunk) res.write(chunk);
    res.end();
  }

  private async query(req: IncomingMessage, res: ServerResponse, ds: EmulatedDataSet): Promise<void> {
    let sql = '';
    try {
      sql = String((JSON.parse((await readBody(req)).toString()) as { sql?: unknown }).sql ?? '');
    } catch {
      return this.error(res, 400, 'Bad Request', 'Request body is not valid JSON');
    }
    if (!/\bfrom\s+table\b/i.test(sql)) return this.error(res, 400, 'Bad Request', 'Query must select FROM table');
    const limit = Number(/\blimit\s+(\d+)/i.exec(sql)?.[1] ?? Infinity);
    const offset = Number(/\boffset\s+(\d+)/i.exec(sql)?.[1] ?? 0);
    const numeric = new Set(['LONG', 'DOUBLE', 'DECIMAL']);
    const rows = (ds.rows ?? []).slice(offset, offset + limit).map((row) =>
      row.map((v, i) => (v === '' ? null : numeric.has(ds.columns[i]!.type) ? Number(v) : v)),
    );
    sendJson(res, 200, {
      datasource: ds.id,
      columns: ds.columns.map((c) => c.name),
      metadata: ds.columns.map((c) => ({ type: c.type, dataSourceId: ds.id })),
      rows,
      numRows: rows.length,
      numColumns: ds.columns.length,
    });
  }
}

function retryHeader(seconds: number | undefined): Record<string, string> {
  return seconds === undefined ? {} : { 'retry-after': String(seconds) };
}
