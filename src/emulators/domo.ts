/**
 * Domo platform API emulator: OAuth client credentials with scopes, DataSet metadata, CSV export and SQL
 * query, row policies (PDP), and Domo's error shapes. Sources: docs/vendors/domo.md (with its vendor
 * quotes in docs/vendors/sources.md) and docs/vendors/specs/domo-dataset-api.openapi.yaml; what no
 * source documents is marked ASSUMPTION.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { Emulator, readBody, sendJson, wait } from './server.ts';
import { DomoQuery, QueryError, type DomoValue } from './domo-query.ts';
import { CsvFileIndex } from './csv-file-index.ts';

export type DomoFault =
  /** An error answer; `message` replaces the message of Domo's error body (a vendor echoing what it was sent, say). */
  | { kind: 'status'; status: number; retryAfter?: number; message?: string }
  | { kind: 'reset'; afterBytes: number }
  | { kind: 'truncate'; afterRows: number }
  | { kind: 'slow'; delayMs: number }
  /** The answer comes gzip-encoded (ASSUMPTION: Domo documents no compression; a proxy may add it). */
  | { kind: 'gzip' }
  /** A 200 answer with an HTML page (a proxy's or firewall's sign-in page) where CSV or JSON was due. */
  | { kind: 'html' }
  /** ASSUMPTION (no Domo source shows one): a 200 JSON answer with no body, as a failing gateway may send. */
  | { kind: 'empty' }
  /** Once answered, the DataSet gains these rows: another writer appending to it while the runner reads. */
  | { kind: 'grow'; rows: DomoValue[][] }
  /** ASSUMPTION (no Domo source shows one): a query's answer names its columns, but not in the SELECT's order. */
  | { kind: 'reorder' };

export type DomoRoute = 'token' | 'metadata' | 'export' | 'query';

export type { DomoValue };

export interface EmulatedDataSet {
  id: string;
  name: string;
  columns: { name: string; type: string }[];
  /** Rows as text; '' is an empty field, null is Domo's null. */
  rows?: DomoValue[][];
  /** Or a CSV file with a header line, for large data (the bench). */
  csvFile?: string;
  rowCount?: number;
  /** For a csvFile: the DATE or DATETIME column queries are indexed on (they must bound it from below). */
  index?: string;
  updatedAt?: string;
  /**
   * Row policies (PDP): the rows every emulated client may read. Metadata then says pdpEnabled and `rows`
   * counts every row, while exports and queries return only these (ASSUMPTION, docs/vendors/domo.md).
   */
  policy?: (row: DomoValue[]) => boolean;
}

export interface EmulatedClient {
  secret: string;
  /** Scopes the client was created with (developer.domo.com: account, audit, buzz, dashboard, data, user). */
  scopes: string[];
}

const NEEDS_QUOTES = /[,"\r\n]/;

/**
 * One export line as Domo writes it: RFC 4180 quoting, a null as an unquoted \N (Domo's own R clients read
 * exports with na = "\N": rdomo R/rdomo.R, DomoR R/fetch.R). ASSUMPTION: a text that is literally \N is
 * quoted, so it stays text.
 */
export function domoCsvLine(fields: readonly DomoValue[]): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as DomoValue;
    if (i > 0) line += ',';
    if (field === null) line += '\\N';
    else line += NEEDS_QUOTES.test(field) || field === '\\N' ? `"${field.replace(/"/g, '""')}"` : field;
  }
  return `${line}\n`;
}

export class DomoEmulator extends Emulator<DomoFault> {
  readonly datasets = new Map<string, EmulatedDataSet>();
  private readonly clients = new Map<string, EmulatedClient>();
  private readonly tokens = new Map<string, number>();
  tokenTtlSeconds = 3599;
  tokensIssued = 0;
  /** The scope parameter of every token request, for tests. */
  readonly scopesAsked: string[] = [];
  /** The SQL of every query answered, in order. */
  readonly queries: string[] = [];
  /** Bytes of DataSet content sent (exports' CSV and queries' JSON), for the bench. */
  bytesServed = 0;

  /** Clients by id: a secret (with the data and user scopes), or a secret and its scopes. */
  constructor(clients: Record<string, string | EmulatedClient> = {}) {
    super();
    for (const [id, client] of Object.entries(clients)) this.clients.set(id, typeof client === 'string' ? { secret: client, scopes: ['data', 'user'] } : client);
  }

  addDataSet(dataset: EmulatedDataSet): void {
    this.datasets.set(dataset.id, { updatedAt: new Date().toISOString(), ...dataset });
  }

  appendRows(id: string, rows: DomoValue[][]): void {
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

  /** Domo's API error body: {status, statusReason, message, toe} (docs/vendors/domo.md, "Errors and limits"). */
  private error(res: ServerResponse, status: number, reason: string, message: string, headers: Record<string, string> = {}): void {
    sendJson(res, status, { status, statusReason: reason, message, toe: randomUUID().replace(/-/g, '').toUpperCase().slice(0, 20) }, headers);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path === '/oauth/token') return this.token(req, res, url);
    let match = /^\/v1\/datasets\/([^/]+)$/.exec(path);
    if (match && req.method === 'GET') return this.withDataSet(req, res, 'metadata', decodeURIComponent(match[1]!), (ds, fault) => this.metadata(res, ds, fault));
    match = /^\/v1\/datasets\/([^/]+)\/data$/.exec(path);
    if (match && req.method === 'GET') return this.withDataSet(req, res, 'export', decodeURIComponent(match[1]!), (ds, fault) => this.export(req, res, url, ds, fault));
    match = /^\/v1\/datasets\/query\/execute\/([^/]+)$/.exec(path);
    if (match && req.method === 'POST') return this.withDataSet(req, res, 'query', decodeURIComponent(match[1]!), (ds, fault) => this.query(req, res, ds, fault));
    this.error(res, 404, 'Not Found', `No route for ${req.method} ${path}`);
  }

  private async token(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const fault = this.server.takeFault('token');
    if (fault?.kind === 'status') return this.error(res, fault.status, 'Error', 'injected', retryHeader(fault.retryAfter));
    let id = '';
    let secret = '';
    const auth = req.headers.authorization ?? '';
    // Basic auth on GET, or the same fields as a POST form (docs/vendors/domo.md, "Token").
    if (auth.startsWith('Basic ')) {
      [id = '', secret = ''] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
    } else if (req.method === 'POST') {
      const form = new URLSearchParams((await readBody(req)).toString());
      id = form.get('client_id') ?? '';
      secret = form.get('client_secret') ?? '';
    }
    // OAuth-layer errors are {error, error_description} (docs/vendors/domo.md).
    if (url.searchParams.get('grant_type') !== 'client_credentials' && req.method === 'GET') {
      return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'Unsupported grant type' });
    }
    const client = this.clients.get(id);
    if (!client || client.secret !== secret) return sendJson(res, 401, { error: 'unauthorized', error_description: 'Bad credentials' });
    const asked = (url.searchParams.get('scope') ?? client.scopes.join(' ')).split(/[ +]/).filter(Boolean);
    this.scopesAsked.push(asked.join(' '));
    // ASSUMPTION: a scope the client was not created with is refused as OAuth servers do (RFC 6749 5.2, invalid_scope).
    const missing = asked.filter((scope) => !client.scopes.includes(scope));
    if (missing.length) return sendJson(res, 400, { error: 'invalid_scope', error_description: `Invalid scope: ${missing.join(' ')}` });
    const token = `eyJ${randomUUID().replace(/-/g, '')}.${randomUUID().replace(/-/g, '')}`;
    this.tokens.set(token, Date.now() + this.tokenTtlSeconds * 1000);
    this.tokensIssued++;
    sendJson(res, 200, { access_token: token, token_type: 'bearer', expires_in: this.tokenTtlSeconds, scope: asked.join(' '), customer: 'emulated', userId: 1, role: 'Admin', jti: randomUUID() });
  }

  private async withDataSet(req: IncomingMessage, res: ServerResponse, route: DomoRoute, id: string, then: (ds: EmulatedDataSet, fault: DomoFault | undefined) => Promise<void> | void): Promise<void> {
    const fault = this.server.takeFault(route);
    const csv = (req.headers.accept ?? '').includes('text/csv');
    const token = /^bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const valid = token !== undefined && (this.tokens.get(token) ?? 0) > Date.now();
    if (!valid || (fault?.kind === 'status' && (fault.status === 401 || fault.status === 406))) {
      // A missing or expired token on a text/csv request answers 406 with HTML (docs/vendors/domo.md, "Export").
      if (csv) {
        res.writeHead(406, { 'content-type': 'text/html' });
        return void res.end('<html><body><h1>406 Not Acceptable</h1></body></html>');
      }
      return this.error(res, 401, 'Unauthorized', 'Full authentication is required to access this resource', {
        'www-authenticate': 'Bearer realm="api", error="invalid_token", error_description="Invalid access token"',
      });
    }
    if (fault?.kind === 'status') return this.error(res, fault.status, 'Error', fault.message ?? 'Injected failure', retryHeader(fault.retryAfter));
    if (fault?.kind === 'empty') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end();
    }
    if (fault?.kind === 'html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end('<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>Corporate proxy: please sign in</form></body></html>');
    }
    const ds = this.datasets.get(id);
    if (!ds) return this.error(res, 404, 'Not Found', `DataSet ${id} not found`);
    await then(ds, fault);
  }

  /** The rows an emulated client may read: all of them, or those the row policy lets through. */
  private readonly indexes = new Map<string, CsvFileIndex>();

  /** A large file's rows a query can need, through its index: the query must bound the indexed column. */
  private indexedRows(ds: EmulatedDataSet, query: DomoQuery): DomoValue[][] {
    const column = ds.columns.findIndex((c) => c.name === ds.index);
    const bound = column >= 0 ? query.lowerBound(column) : undefined;
    if (!bound) throw new QueryError(`this emulated DataSet is a large file: a query must bound ${ds.index ?? 'its indexed column'} from below (WHERE ${ds.index ?? 'column'} >= ...)`);
    // The file does not change: the last range read serves the next query over it (a window's COUNT(*), then its rows).
    const range = `${ds.id} ${bound.from} ${bound.nulls} ${bound.to}`;
    if (this.lastRange?.range !== range) {
      const index = this.indexFor(ds)!;
      this.lastRange = { range, rows: index.read(index.candidates(bound.from, bound.nulls, bound.to)) };
    }
    const rows = this.lastRange.rows;
    return ds.policy ? rows.filter(ds.policy) : rows;
  }

  private lastRange: { range: string; rows: DomoValue[][] } | undefined;

  /** The index of a csvFile DataSet on its `index` column, built at the first use. */
  private indexFor(ds: EmulatedDataSet): CsvFileIndex | undefined {
    const column = ds.columns.findIndex((c) => c.name === ds.index);
    if (!ds.csvFile || column < 0) return undefined;
    let index = this.indexes.get(ds.id);
    if (!index) this.indexes.set(ds.id, (index = new CsvFileIndex(ds.csvFile, column)));
    return index;
  }

  /** Builds the index of a csvFile DataSet now (the bench does, before it times anything). */
  prepareIndex(id: string): void {
    this.indexFor(this.datasets.get(id)!);
  }

  private visibleRows(ds: EmulatedDataSet): DomoValue[][] {
    const rows = ds.rows ?? [];
    return ds.policy ? rows.filter(ds.policy) : rows;
  }

  private metadata(res: ServerResponse, ds: EmulatedDataSet, fault: DomoFault | undefined): void {
    // The DataSet object of specs/domo-dataset-api.openapi.yaml; `rows` counts every row, policies or not.
    const body = {
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
      pdpEnabled: Boolean(ds.policy),
      policies: ds.policy ? [{ id: 7, type: 'user', name: 'Region EMEA', filters: [] }] : [],
    };
    if (fault?.kind === 'gzip') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      return void res.end(gzipSync(JSON.stringify(body)));
    }
    sendJson(res, 200, body);
  }

  private async export(req: IncomingMessage, res: ServerResponse, url: URL, ds: EmulatedDataSet, fault: DomoFault | undefined): Promise<void> {
    // includeHeader defaults to false (docs/vendors/domo.md, "Export").
    const includeHeader = url.searchParams.get('includeHeader') === 'true';
    if (fault?.kind === 'gzip') {
      const text = (includeHeader ? domoCsvLine(ds.columns.map((c) => c.name)) : '') + this.visibleRows(ds).map(domoCsvLine).join('');
      res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-encoding': 'gzip' });
      return void res.end(gzipSync(text));
    }
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
        this.bytesServed += data.length;
        if (!res.write(data)) await new Promise((resolve) => res.once('drain', resolve));
      }
      return void res.end();
    }
    let sent = 0;
    let chunk = includeHeader ? domoCsvLine(ds.columns.map((c) => c.name)) : '';
    const rows = this.visibleRows(ds);
    const limit = fault?.kind === 'truncate' ? Math.min(fault.afterRows, rows.length) : rows.length;
    for (let i = 0; i < limit; i++) {
      chunk += domoCsvLine(rows[i]!);
      if (chunk.length > 64 * 1024 || i === limit - 1) {
        if (fault?.kind === 'reset' && sent + chunk.length > fault.afterBytes) {
          res.write(chunk.slice(0, Math.max(0, fault.afterBytes - sent)));
          await wait(20);
          return void req.socket.destroy();
        }
        sent += chunk.length;
        this.bytesServed += Buffer.byteLength(chunk);
        if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
        chunk = '';
      }
    }
    if (chunk) res.write(chunk);
    res.end();
  }

  private async query(req: IncomingMessage, res: ServerResponse, ds: EmulatedDataSet, fault: DomoFault | undefined): Promise<void> {
    let sql = '';
    try {
      sql = String((JSON.parse((await readBody(req)).toString()) as { sql?: unknown }).sql ?? '');
    } catch {
      return this.error(res, 400, 'Bad Request', 'Request body is not valid JSON');
    }
    let answer;
    try {
      const query = new DomoQuery(sql, ds.columns);
      answer = query.run(ds.csvFile ? this.indexedRows(ds, query) : this.visibleRows(ds));
    } catch (error) {
      // ASSUMPTION: SQL Domo cannot run is a 400 in its usual error shape (domo-python-sdk issue 62 shows that shape for a bad body).
      if (error instanceof QueryError) return this.error(res, 400, 'Bad Request', error.message);
      throw error;
    }
    // A short answer (rows changed between the count and the page, a server cutting its answer).
    if (fault?.kind === 'truncate') answer.rows = answer.rows.slice(0, fault.afterRows);
    if (fault?.kind === 'reorder') for (const list of [answer.columns, answer.types, ...answer.rows]) list.reverse();
    this.queries.push(sql);
    if (fault?.kind === 'grow') this.appendRows(ds.id, fault.rows.map((row) => [...row]));
    // The answer of specs/domo-dataset-api.openapi.yaml, paths['/v1/datasets/query/execute/{dataset_id}'].post:
    // positional rows, numbers as JSON numbers (written digit for digit, as a Java BigDecimal would be).
    const numeric = answer.types.map((type) => ['LONG', 'DOUBLE', 'DECIMAL'].includes(type));
    const cell = (value: DomoValue, i: number) => (value === null ? 'null' : numeric[i] && JSON_NUMBER.test(value) ? value : JSON.stringify(value));
    const head = JSON.stringify({ datasource: ds.id, columns: answer.columns, metadata: answer.types.map((type) => ({ type, dataSourceId: ds.id })), numRows: answer.rows.length, numColumns: answer.columns.length, fromcache: false });
    const text = `${head.slice(0, -1)},"rows":[${answer.rows.map((row) => `[${row.map(cell).join(',')}]`).join(',')}]}`;
    if (fault?.kind === 'gzip') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      return void res.end(gzipSync(text));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    this.bytesServed += Buffer.byteLength(text);
    res.end(text);
  }
}

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

function retryHeader(seconds: number | undefined): Record<string, string> {
  return seconds === undefined ? {} : { 'retry-after': String(seconds) };
}
