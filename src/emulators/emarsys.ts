/**
 * Emarsys sales data API emulator. The upload is answered first ("accepted for processing") and the file
 * is loaded afterwards, as Emarsys does: a file whose columns are not in the account's agreed order, or
 * that breaks the CSV rules, is answered 200 and then fails its load, so none of its lines count.
 * Sources: docs/vendors/emarsys-sales.md (help.emarsys.com, documentation.emarsys.com, Emarsys's Postman
 * collections, open-source clients); what no source documents is marked ASSUMPTION.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { Emulator, readBody, wait } from './server.ts';

export type EmarsysFault =
  /** Answer with this status before reading the body (nothing accepted). */
  | { kind: 'status'; status: number; retryAfter?: number; body?: string }
  /** Drop the connection while the body arrives (nothing accepted). */
  | { kind: 'reset' }
  /** Accept and record the file, then never answer (the client times out). */
  | { kind: 'accept-then-timeout' }
  /** Accept and record the file, then drop the connection. */
  | { kind: 'accept-then-reset' }
  /**
   * Accept and record the file, then answer this status, as a gateway in front of Emarsys does when the
   * origin is slow to answer (502, 504) or fails after taking the file (500). ASSUMPTION: no Emarsys source
   * documents its gateway; RFC 9110 15.6 says such answers do not tell whether the origin acted.
   */
  | { kind: 'accept-then-status'; status: number; body?: string }
  | { kind: 'slow'; delayMs: number };

export interface AcceptedLine {
  merchantId: string;
  upload: number;
  record: Record<string, string>;
}

/** One file Emarsys took: loaded, or failed with the reason Emarsys's Data Loads page would give. */
export interface Load {
  merchantId: string;
  upload: number;
  lines: number;
  status: 'loaded' | 'failed';
  reason?: string;
  gzip: boolean;
}

interface Account {
  token: string;
  /** The column order agreed at onboarding; undefined: any order (an emulator without configuration). */
  agreedOrder?: string[];
}

// The field table of docs/vendors/emarsys-sales.md, "CSV format".
const STANDARD = new Set(['order', 'timestamp', 'customer', 'email', 'item', 'price', 'quantity']);
const REQUIRED = ['order', 'timestamp', 'item', 'price', 'quantity'];
const CUSTOM = /^[sift]_[A-Za-z0-9_]+$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$/;
const FLOAT = /^-?\d+(\.\d+)?$/;
const INTEGER = /^-?\d+$/;

export class EmarsysEmulator extends Emulator<EmarsysFault> {
  private readonly merchants = new Map<string, Account>();
  /** Every line loaded, in order. */
  readonly accepted: AcceptedLine[] = [];
  /** Raw files loaded, for byte-for-byte assertions. */
  readonly files: { merchantId: string; body: string }[] = [];
  /** Every file taken, loaded or failed, as Management > Smart Insight Data Quality > Data Loads lists them. */
  readonly loads: Load[] = [];
  uploads = 0;
  /** Keep loaded lines and files in memory and check every line (off for benchmarks: header and count only). */
  keepLines = true;
  /** Time each upload takes to be processed before it is recorded (gives crash tests a window). */
  uploadDelayMs = 0;
  acceptedCount = 0;
  /** Bytes received on the wire (compressed ones as sent), for the bench. */
  bytesReceived = 0;
  /** Reads uploads no faster than this (bytes per second), as a slow link would: the bench's gzip comparison. */
  bandwidth = Infinity;

  /** Accounts: merchant id to its sales data token, or to the token and the column order agreed at onboarding. */
  constructor(merchants: Record<string, string | Account> = {}) {
    super();
    for (const [id, account] of Object.entries(merchants)) this.addMerchant(id, account);
  }

  /** Another account (merchant id and its sales data token, or token and agreed column order). */
  addMerchant(merchantId: string, account: string | Account): void {
    this.merchants.set(merchantId, typeof account === 'string' ? { token: account } : account);
  }

  inject(fault: EmarsysFault, times = 1): void {
    this.server.inject('upload', fault, times);
  }

  /** Order lines (by order + item) that arrived more than once. */
  duplicates(): string[] {
    const seen = new Map<string, number>();
    for (const { record } of this.accepted) {
      const key = `${record.order}/${record.item}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    return [...seen].filter(([, count]) => count > 1).map(([key]) => key);
  }

  private text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    // POST /hapi/merchant/{merchantId}/sales-data/api (Emarsys Postman collections, "Sales Data API").
    const match = /^\/hapi\/merchant\/([^/]+)\/sales-data\/api$/.exec(url.pathname);
    if (!match || req.method !== 'POST') return this.text(res, 404, 'Not Found');
    const merchantId = decodeURIComponent(match[1]!);
    const fault = this.server.takeFault('upload');
    if (fault?.kind === 'status') {
      return this.text(res, fault.status, fault.body ?? (fault.status === 429 ? 'Too Many Requests' : 'Service Unavailable'), fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) });
    }
    if (fault?.kind === 'slow') await wait(fault.delayMs);
    // ASSUMPTION: error statuses and bodies are undocumented; plain text, as the one recorded answer ("Upload accepted") is.
    const token = /^bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const account = this.merchants.get(merchantId);
    if (account === undefined) return this.text(res, 404, `Unknown merchant ${merchantId}`);
    if (token !== account.token) return this.text(res, 401, 'Unauthorized: invalid token');
    if (!(req.headers['content-type'] ?? '').startsWith('text/csv')) return this.text(res, 415, 'Content-Type must be text/csv');
    const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
    // A production client sends gzip bodies (inviqa/emarsys-api-client, HttpClient.php: 'Content-Encoding' => 'gzip').
    if (encoding && encoding !== 'gzip' && encoding !== 'identity') return this.text(res, 415, `Unsupported Content-Encoding ${encoding}`);
    if (fault?.kind === 'reset') {
      req.once('data', () => req.socket.destroy());
      return;
    }
    const gzip = encoding === 'gzip';
    const counted = this.keepLines || gzip || this.bandwidth < Infinity ? undefined : await countLines(req);
    const raw = counted ? Buffer.alloc(0) : this.bandwidth < Infinity ? await readSlowly(req, this.bandwidth) : await readBody(req);
    // A client that died mid-body sent part of a file: nothing of it is taken.
    const length = counted?.length ?? raw.length;
    if (!req.complete || (req.headers['content-length'] !== undefined && length !== Number(req.headers['content-length']))) return;
    this.bytesReceived += length;
    let body = '';
    if (!counted) {
      try {
        body = (gzip ? gunzipSync(raw) : raw).toString('utf8');
      } catch {
        return this.text(res, 400, 'The body is not valid gzip');
      }
    }
    if (this.uploadDelayMs) await wait(this.uploadDelayMs);
    this.uploads++;
    const upload = this.uploads;
    // The upload is taken; the load decides whether its lines count (docs/vendors/emarsys-sales.md:
    // 200 means "accepted for processing", and a file whose columns are out of the agreed order fails).
    const loaded = counted ? (counted.problem ?? counted.lines) : this.keepLines ? loadSalesCsv(body, account.agreedOrder) : countBody(body, account.agreedOrder);
    if (typeof loaded === 'string') {
      this.loads.push({ merchantId, upload, lines: 0, status: 'failed', reason: loaded, gzip });
    } else if (typeof loaded === 'number') {
      this.acceptedCount += loaded;
      this.loads.push({ merchantId, upload, lines: loaded, status: 'loaded', gzip });
    } else {
      this.acceptedCount += loaded.length;
      this.files.push({ merchantId, body });
      for (const record of loaded) this.accepted.push({ merchantId, upload, record });
      this.loads.push({ merchantId, upload, lines: loaded.length, status: 'loaded', gzip });
    }
    if (fault?.kind === 'accept-then-timeout') return; // never answer
    if (fault?.kind === 'accept-then-reset') return void req.socket.destroy();
    if (fault?.kind === 'accept-then-status') {
      res.writeHead(fault.status, { 'content-type': 'text/html' });
      return void res.end(fault.body ?? `<html><body><h1>${fault.status} ${STATUS_CODES[fault.status] ?? ''}</h1></body></html>`);
    }
    // The recorded success: 200, text/plain, "Upload accepted" (docs/vendors/emarsys-sales.md, "Endpoint").
    this.text(res, 200, 'Upload accepted');
  }
}

/** Benchmark mode on a whole body: the header checked, the lines counted. */
function countBody(body: string, agreedOrder?: string[]): number | string {
  const checked = loadSalesCsv(body.slice(0, body.indexOf('\n') + 1), agreedOrder);
  if (typeof checked === 'string') return checked;
  let lines = -1;
  for (let at = body.indexOf('\n'); at >= 0; at = body.indexOf('\n', at + 1)) lines++;
  return lines;
}

/** Reads a body at `bytesPerSecond` at most: the socket's buffers fill and TCP slows the sender down. */
async function readSlowly(req: IncomingMessage, bytesPerSecond: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const started = performance.now();
  let bytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    bytes += chunk.length;
    const due = (bytes / bytesPerSecond) * 1000 - (performance.now() - started);
    if (due > 0) await wait(due);
  }
  return Buffer.concat(chunks);
}

/**
 * Benchmark mode: the header is checked as loadSalesCsv does and the lines are counted as the body
 * streams in, without keeping it: a 20 MB file costs the emulator no more than the network does.
 */
async function countLines(req: IncomingMessage): Promise<{ length: number; lines: number; problem: string | undefined }> {
  let header = '';
  let length = 0;
  let newlines = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (length < 64 * 1024 && !header.includes('\n')) header += chunk.toString('utf8', 0, Math.min(chunk.length, 64 * 1024));
    length += chunk.length;
    for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) newlines++;
  }
  const checked = loadSalesCsv(header.slice(0, header.indexOf('\n') + 1));
  return { length, lines: newlines - 1, problem: typeof checked === 'string' ? checked : undefined };
}

/**
 * Loads a sales file as Emarsys does: its records, or why the whole load fails. The rules are those of
 * docs/vendors/emarsys-sales.md, "CSV format": UTF-8, comma-separated, header first, no line breaks in
 * fields, required fields present, typed values, and the columns in the order agreed at onboarding.
 * ASSUMPTION (stricter than Emarsys, which takes an unknown column as custom): an unknown header fails.
 */
export function loadSalesCsv(body: string, agreedOrder?: string[]): Record<string, string>[] | string {
  if (!body.endsWith('\n')) return 'File must end with a line break';
  let rows: string[][];
  try {
    rows = parse(body, { relax_column_count: false, bom: false });
  } catch (error) {
    return `Malformed CSV: ${(error as Error).message}`;
  }
  const [header, ...data] = rows;
  if (!header) return 'Empty file';
  if (agreedOrder && header.join(',') !== agreedOrder.join(',')) return `Columns ${header.join(',')} are not in the order agreed at onboarding (${agreedOrder.join(',')})`;
  for (const name of header) {
    if (name !== name.trim()) return `Header "${name}" has spaces around it`;
    if (!STANDARD.has(name) && !CUSTOM.test(name)) return `Unknown field "${name}"`;
  }
  for (const required of REQUIRED) {
    if (!header.includes(required)) return `Missing required field "${required}"`;
  }
  if (header.includes('customer') === header.includes('email')) return 'Exactly one of customer or email is required';
  const records: Record<string, string>[] = [];
  for (const [i, row] of data.entries()) {
    const line = i + 2;
    const record: Record<string, string> = {};
    for (const [j, name] of header.entries()) {
      const value = row[j]!;
      if (/[\r\n]/.test(value)) return `Line ${line}: field ${name} contains a line break`;
      const isTime = name === 'timestamp' || name.startsWith('t_');
      const isFloat = name === 'price' || name === 'quantity' || name.startsWith('f_');
      // "A missing order id or timestamp fails the load of the whole file."
      if (REQUIRED.includes(name) && value === '') return `Line ${line}: ${name} is missing`;
      if (value !== '' && isTime && !TIMESTAMP.test(value)) return `Line ${line}: ${name} "${value}" is not a UTC ISO 8601 timestamp`;
      if (value !== '' && isFloat && !FLOAT.test(value)) return `Line ${line}: ${name} "${value}" is not a number`;
      if (value !== '' && name.startsWith('i_') && !INTEGER.test(value)) return `Line ${line}: ${name} "${value}" is not an integer`;
      record[name] = value;
    }
    records.push(record);
  }
  return records;
}
