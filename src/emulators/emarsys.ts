/**
 * Emarsys sales data API emulator: checks the bearer token, the content type and the CSV rules of the
 * vendor's documentation, and records every accepted line so tests can prove exactly-once delivery.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
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
   * origin is slow to answer (502, 504) or fails after taking the file (500). Assumption: no Emarsys source
   * documents its gateway; RFC 9110 15.6 says such answers do not tell whether the origin acted.
   */
  | { kind: 'accept-then-status'; status: number; body?: string }
  | { kind: 'slow'; delayMs: number };

export interface AcceptedLine {
  merchantId: string;
  upload: number;
  record: Record<string, string>;
}

const STANDARD = new Set(['order', 'timestamp', 'customer', 'email', 'item', 'price', 'quantity']);
const CUSTOM = /^[sift]_[A-Za-z0-9_]+$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$/;
const FLOAT = /^-?\d+(\.\d+)?$/;
const INTEGER = /^-?\d+$/;

export class EmarsysEmulator extends Emulator<EmarsysFault> {
  private readonly merchants = new Map<string, string>();
  /** Every line accepted, in order. */
  readonly accepted: AcceptedLine[] = [];
  /** Raw files accepted, for byte-for-byte assertions. */
  readonly files: { merchantId: string; body: string }[] = [];
  uploads = 0;
  /** Keep accepted lines and files in memory and check every line (off for benchmarks: header and count only). */
  keepLines = true;
  /** Time each upload takes to be processed before it is recorded (gives crash tests a window). */
  uploadDelayMs = 0;
  acceptedCount = 0;

  constructor(merchants: Record<string, string> = {}) {
    super();
    for (const [id, token] of Object.entries(merchants)) this.merchants.set(id, token);
  }
  /** Another account (merchant id and its sales data token). */
  addMerchant(merchantId: string, token: string): void {
    this.merchants.set(merchantId, token);
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
    const match = /^\/hapi\/merchant\/([^/]+)\/sales-data\/api$/.exec(url.pathname);
    if (!match || req.method !== 'POST') return this.text(res, 404, 'Not Found');
    const merchantId = decodeURIComponent(match[1]!);
    const fault = this.server.takeFault('upload');
    if (fault?.kind === 'status') {
      return this.text(res, fault.status, fault.body ?? (fault.status === 429 ? 'Too Many Requests' : 'Service Unavailable'), fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) });
    }
    if (fault?.kind === 'slow') await wait(fault.delayMs);
    const token = /^bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const expected = this.merchants.get(merchantId);
    if (expected === undefined) return this.text(res, 404, `Unknown merchant ${merchantId}`);
    if (token !== expected) return this.text(res, 401, 'Unauthorized: invalid token');
    if (!(req.headers['content-type'] ?? '').startsWith('text/csv')) return this.text(res, 415, 'Content-Type must be text/csv');
    if (fault?.kind === 'reset') {
      req.once('data', () => req.socket.destroy());
      return;
    }
    const counted = this.keepLines ? undefined : await countLines(req);
    const body = counted ? '' : (await readBody(req)).toString('utf8');
    // A client that died mid-body sent part of a file: nothing of it is accepted.
    const length = counted?.length ?? Buffer.byteLength(body);
    if (!req.complete || (req.headers['content-length'] !== undefined && length !== Number(req.headers['content-length']))) return;
    if (this.uploadDelayMs) await wait(this.uploadDelayMs);
    const problem = counted ? counted.problem : validateSalesCsv(body);
    if (typeof problem === 'string') return this.text(res, 400, problem);
    this.uploads++;
    if (counted) this.acceptedCount += counted.lines;
    else if (problem) {
      this.acceptedCount += problem.length;
      this.files.push({ merchantId, body });
      for (const record of problem) this.accepted.push({ merchantId, upload: this.uploads, record });
    }
    if (fault?.kind === 'accept-then-timeout') return; // never answer
    if (fault?.kind === 'accept-then-reset') return void req.socket.destroy();
    if (fault?.kind === 'accept-then-status') {
      res.writeHead(fault.status, { 'content-type': 'text/html' });
      return void res.end(fault.body ?? `<html><body><h1>${fault.status} ${STATUS_CODES[fault.status] ?? ''}</h1></body></html>`);
    }
    this.text(res, 200, 'Upload accepted');
  }
}

/**
 * Benchmark mode: the header is checked as validateSalesCsv does and the lines are counted as the
 * body streams in, without keeping it: a 20 MB file costs the emulator no more than the network does.
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
  const checked = validateSalesCsv(header.slice(0, header.indexOf('\n') + 1));
  return { length, lines: newlines - 1, problem: typeof checked === 'string' ? checked : undefined };
}

/** The records of a valid sales file, or the reason it is refused (the whole file fails, as at Emarsys). */
export function validateSalesCsv(body: string): Record<string, string>[] | string {
  if (!body.endsWith('\n')) return 'File must end with a line break';
  let rows: string[][];
  try {
    rows = parse(body, { relax_column_count: false, bom: false });
  } catch (error) {
    return `Malformed CSV: ${(error as Error).message}`;
  }
  const [header, ...data] = rows;
  if (!header) return 'Empty file';
  for (const name of header) {
    if (name !== name.trim()) return `Header "${name}" has spaces around it`;
    if (!STANDARD.has(name) && !CUSTOM.test(name)) return `Unknown field "${name}"`;
  }
  for (const required of ['order', 'timestamp', 'item', 'price', 'quantity']) {
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
      if (['order', 'timestamp', 'item', 'price', 'quantity'].includes(name) && value === '') return `Line ${line}: ${name} is missing`;
      if (value !== '' && isTime && !TIMESTAMP.test(value)) return `Line ${line}: ${name} "${value}" is not a UTC ISO 8601 timestamp`;
      if (value !== '' && isFloat && !FLOAT.test(value)) return `Line ${line}: ${name} "${value}" is not a number`;
      if (value !== '' && name.startsWith('i_') && !INTEGER.test(value)) return `Line ${line}: ${name} "${value}" is not an integer`;
      record[name] = value;
    }
    records.push(record);
  }
  return records;
}
