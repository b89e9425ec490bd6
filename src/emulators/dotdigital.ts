/**
 * Dotdigital API v2 emulator: account-info with ApiEndpoint, regions (the wrong one answers 403), data
 * fields, JSON file-media contact imports with merge options, import status, report and fault report,
 * suppressed contacts, 25 active imports at most, rate limits with X-RateLimit-* headers (per minute, or an
 * hour ahead as on the hourly scheme), and the vendor's v2 error shape. Sources: docs/vendors/dotdigital.md
 * and docs/vendors/specs/dotdigital-v2.openapi.json (the tests hold every request to it); what no source
 * documents is marked ASSUMPTION.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse } from 'csv-parse/sync';
import { csvLine } from '../pipeline/csv-line.ts';
import { Emulator, readBody, sendJson } from './server.ts';

export type DotdigitalFault =
  | { kind: 'rate-limit'; resetSeconds: number; epoch?: boolean; scope?: string }
  | { kind: 'status'; status: number }
  /** The hourly ("flat") scheme's cap: 400 ERROR_APIUSAGE_EXCEEDED (the constant in Dotdigital's Magento extensions). */
  | { kind: 'usage-capped' }
  /** The next import ends with this status instead of Finished. */
  | { kind: 'import-status'; status: 'RejectedByWatchdog' | 'Failed' | 'InvalidFileFormat' | 'ExceedsAllowedContactLimit' }
  /** The next report-faults call fails. */
  | { kind: 'faults-unavailable' };

export interface EmulatedImport {
  id: string;
  status: string;
  addressBookId?: number;
  mergeOption: string;
  pollsLeft: number;
  rows: Record<string, string>[];
  /** Contacts in the file, when the emulator only counts them (keepContacts false). */
  counted?: number;
  /** Refused rows: the reason and the row as imported (the fault report repeats the file's columns). */
  faults: { reason: string; row: Record<string, string> }[];
  report: Record<string, number>;
  finalStatus: string;
}

const REGIONS = ['r1', 'r2', 'r3'];
/** POST: a contact import, into an address book or not, with a merge option or not. */
const IMPORT_ROUTE = /^\/v2\/(?:address-books\/(\d+)\/)?contacts\/import(?:\/with-merge-option\/(\w+))?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** At most 25 active imports (docs/vendors/dotdigital.md, "Bulk contact import"). */
const MAX_ACTIVE = 25;

export class DotdigitalEmulator extends Emulator<DotdigitalFault> {
  readonly dataFields = new Map<string, { name: string; type: string; visibility: string; defaultValue: null }>();
  /** Contacts by lowercased email: their data fields, and the address books they are in. */
  readonly contacts = new Map<string, { dataFields: Record<string, string>; addressBooks: Set<number> }>();
  readonly imports = new Map<string, EmulatedImport>();
  /**
   * Contacts the account will not take, by lowercased email, with the fault report's reason ("Hard
   * Bounced", "Globally Suppressed"...: docs/vendors/dotdigital.md, "Bulk contact import").
   */
  readonly suppressed = new Map<string, string>();
  /** Request bodies received, for validation against the vendor's OpenAPI description. */
  readonly received: { method: string; path: string; body?: unknown }[] = [];
  /** How many status polls an import stays NotFinished. */
  pollsUntilFinished = 1;
  /** Imports that never finish on their own count as active (tests raise this to hit the limit). */
  holdImportsActive = false;
  /** False: imports are only counted, not parsed and kept (the bench sends a million contacts). */
  keepContacts = true;
  /** Contacts of finished imports, counted whether or not they are kept. */
  importedCount = 0;

  /** API users (username to password) that may call this account. */
  private readonly users = new Map<string, string>();

  constructor(
    username: string,
    password: string,
    readonly region: 'r1' | 'r2' | 'r3' = 'r1',
  ) {
    super();
    this.addUser(username, password);
  }

  /** Another API user of the same account (ASSUMPTION: Dotdigital lets an account have several API users). */
  addUser(username: string, password: string): void {
    this.users.set(username, password);
  }

  inject(fault: DotdigitalFault, times = 1): void {
    const route = fault.kind === 'import-status' ? 'import' : fault.kind === 'faults-unavailable' ? 'faults' : 'any';
    this.server.inject(route, fault, times);
  }

  /** This account's endpoint: the emulator with the region as a path prefix. */
  get apiEndpoint(): string {
    return `${this.url}/${this.region}`;
  }

  /** The v2 error shape: {"message": "<text> ERROR_CODE"} (docs/vendors/dotdigital.md, "Rate limits and errors"). */
  private error(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
    sendJson(res, status, { message }, headers);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const fault = this.server.takeFault('any');
    if (fault?.kind === 'rate-limit') {
      const reset = fault.epoch ? Math.floor(Date.now() / 1000) + fault.resetSeconds : fault.resetSeconds;
      // 429 with X-RateLimit-Limit, -Remaining, -Reset, -Scope (developer.dotdigital.com, "Call rate limits").
      return this.error(res, 429, 'You have exceeded your rate limit. ERROR_RATE_LIMIT_EXCEEDED', {
        'x-ratelimit-limit': '1000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(reset),
        'x-ratelimit-scope': fault.scope ?? 'GET-v2',
      });
    }
    if (fault?.kind === 'status') return this.error(res, fault.status, 'Injected failure ERROR_UNEXPECTED_ERROR');
    if (fault?.kind === 'usage-capped') return this.error(res, 400, 'Your account has generated excess API activity and is being temporarily capped. Please contact support. ERROR_APIUSAGE_EXCEEDED');

    const auth = req.headers.authorization ?? '';
    const [user, pass] = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(':') : [];
    if (user === undefined || pass === undefined || this.users.get(user) !== pass) return this.error(res, 401, 'Authorization has been denied for this request.');

    // Paths may carry a region prefix (/r2/v2/...). account-info answers on every region; the rest only on the account's own.
    const match = /^(?:\/(r[123]))?(\/v2\/.*)$/.exec(url.pathname);
    if (!match) return this.error(res, 404, 'No HTTP resource was found that matches the request URI.');
    const region = match[1] ?? 'r1';
    const path = match[2]!;
    let body: unknown;
    if (req.method === 'POST' && !this.keepContacts && IMPORT_ROUTE.test(path)) {
      body = await countFileMedia(req); // a million contacts are counted as they stream in, not parsed
    } else if (req.method === 'POST') {
      const raw = (await readBody(req)).toString('utf8');
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        return this.error(res, 400, 'The request body is not valid JSON. ERROR_INVALID_JSON');
      }
    }
    this.received.push({ method: req.method ?? 'GET', path, body });
    if (path === '/v2/account-info' && req.method === 'GET') return this.accountInfo(res);
    // "The wrong region answers 403" (docs/vendors/dotdigital.md, "Auth and regions"); ASSUMPTION: the message text.
    if (region !== this.region || !REGIONS.includes(region)) return this.error(res, 403, `This account is hosted in ${this.region}. ERROR_INVALID_REGION`);

    if (path === '/v2/data-fields' && req.method === 'GET') return sendJson(res, 200, [...this.dataFields.values()]);
    if (path === '/v2/data-fields' && req.method === 'POST') return this.createField(res, body as Record<string, unknown>);
    let m = IMPORT_ROUTE.exec(path);
    if (m && req.method === 'POST') return this.startImport(res, body as Record<string, unknown>, m[1] ? Number(m[1]) : undefined, m[2] ?? 'OnlyOverwriteIfNotEmpty');
    m = /^\/v2\/contacts\/import\/([\w-]+)(\/report|\/report-faults)?$/.exec(path);
    if (m && req.method === 'GET') return this.importInfo(res, m[1]!, m[2]);
    return this.error(res, 404, 'No HTTP resource was found that matches the request URI.');
  }

  /** GET /v2/account-info: the property ApiEndpoint is the account's own endpoint (docs/vendors/dotdigital.md). */
  private accountInfo(res: ServerResponse): void {
    sendJson(res, 200, {
      id: 123456,
      properties: [
        { name: 'Name', type: 'String', value: 'Emulated account' },
        { name: 'ApiEndpoint', type: 'String', value: this.apiEndpoint },
        { name: 'MainEmail', type: 'String', value: 'owner@example.com' },
      ],
    });
  }

  private createField(res: ServerResponse, body: Record<string, unknown> | undefined): void {
    const name = String(body?.name ?? '');
    const type = String(body?.type ?? 'String');
    if (!/^[A-Za-z0-9_-]{1,20}$/.test(name) || ['email', 'id', 'contactid', 'notes', 'unsubscribed'].includes(name.toLowerCase())) {
      return this.error(res, 400, `Invalid data field name ${name}. ERROR_INVALID_DATAFIELD_NAME`);
    }
    if (![...this.dataFields.keys()].every((k) => k.toUpperCase() !== name.toUpperCase())) return this.error(res, 400, 'Field already exists. ERROR_NON_UNIQUE_DATAFIELD');
    if (!['String', 'Numeric', 'Date', 'Boolean'].includes(type)) return this.error(res, 400, `Invalid data field type ${type}. ERROR_INVALID_DATAFIELD_TYPE`);
    this.dataFields.set(name, { name, type, visibility: String(body?.visibility ?? 'Private'), defaultValue: null });
    res.writeHead(201);
    res.end();
  }

  private startImport(res: ServerResponse, body: Record<string, unknown> | undefined, addressBookId: number | undefined, mergeOption: string): void {
    if (!['Overwrite', 'OnlyOverwriteIfNotEmpty', 'OnlyOverwriteIfContactDataNotPopulated'].includes(mergeOption)) {
      return this.error(res, 400, `Invalid merge option ${mergeOption}. ERROR_INVALID_MERGE_OPTION`);
    }
    const data = body?.data;
    if (typeof body?.fileName !== 'string' || !(typeof data === 'string' || data instanceof CountedFile)) return this.error(res, 400, 'file must be valid. ERROR_FILE_INVALID');
    const active = [...this.imports.values()].filter((i) => i.status === 'NotFinished').length;
    // The code is what Dotdigital's own Magento extension matches in `message` (BulkItemPostProcessor.php, "Requeue
    // imports if import limit has been exceeded"). ASSUMPTION: status 400 and this text; v2 documents only 202 here.
    if (active >= MAX_ACTIVE) return this.error(res, 400, 'Too many active imports. ERROR_IMPORT_TOOMANYACTIVEIMPORTS');
    let rows: Record<string, string>[] = [];
    let finalStatus = 'Finished';
    const counted = data instanceof CountedFile ? data.lines - 1 : undefined;
    try {
      if (typeof data === 'string') rows = parse(Buffer.from(data, 'base64').toString('utf8'), { columns: true, skip_empty_lines: true });
      const header = typeof data === 'string' ? Object.keys(rows[0] ?? {}) : data.header.split(',');
      if (!(counted ?? rows.length) || !header.some((c) => c.trim().toLowerCase() === 'email')) finalStatus = 'InvalidFileFormat';
    } catch {
      finalStatus = 'InvalidFileFormat';
    }
    const fault = this.server.takeFault('import');
    if (fault?.kind === 'import-status') finalStatus = fault.status;
    const id = randomUUID();
    this.imports.set(id, { id, status: 'NotFinished', addressBookId, mergeOption, pollsLeft: this.pollsUntilFinished, rows, counted, faults: [], report: {}, finalStatus });
    sendJson(res, 202, { id, status: 'NotFinished' });
  }

  private finish(imp: EmulatedImport): void {
    imp.status = imp.finalStatus;
    if (imp.status !== 'Finished') return;
    if (imp.counted !== undefined) {
      this.importedCount += imp.counted;
      imp.report = { newContacts: imp.counted, updatedContacts: 0, invalidEntries: 0, duplicateEmails: 0, failures: 0 };
      return;
    }
    let created = 0;
    let updated = 0;
    for (const row of imp.rows) {
      const emailKey = Object.keys(row).find((k) => k.toLowerCase() === 'email')!;
      const email = row[emailKey]!.trim().toLowerCase();
      // ASSUMPTION: the reason text of a bad address; Dotdigital's report counts these as invalidEntries.
      if (!EMAIL.test(email) || email.endsWith('@invalid.example')) {
        imp.faults.push({ reason: 'Invalid Entries', row });
        continue;
      }
      const suppressed = this.suppressed.get(email);
      if (suppressed) {
        imp.faults.push({ reason: suppressed, row });
        continue;
      }
      const existing = this.contacts.get(email);
      const contact = existing ?? { dataFields: {}, addressBooks: new Set<number>() };
      for (const [column, value] of Object.entries(row)) {
        if (column === emailKey) continue;
        const field = [...this.dataFields.keys()].find((k) => k.toUpperCase() === column.toUpperCase());
        if (!field) continue; // ASSUMPTION: columns that name no data field are ignored
        const hasData = contact.dataFields[field] !== undefined && contact.dataFields[field] !== '';
        // The merge options of specs/dotdigital-v2.openapi.json (ApiContactImportMergeOption), read by their names.
        if (imp.mergeOption === 'OnlyOverwriteIfNotEmpty' && value === '') continue;
        if (imp.mergeOption === 'OnlyOverwriteIfContactDataNotPopulated' && hasData) continue;
        contact.dataFields[field] = value;
      }
      if (imp.addressBookId) contact.addressBooks.add(imp.addressBookId);
      this.contacts.set(email, contact);
      if (existing) updated++;
      else created++;
    }
    this.importedCount += created + updated;
    const counted = (reason: string) => imp.faults.filter((f) => f.reason.toLowerCase() === reason).length;
    // The counts of specs/dotdigital-v2.openapi.json, ApiContactImportReport.
    imp.report = { newContacts: created, updatedContacts: updated, globallySuppressed: counted('globally suppressed'), invalidEntries: counted('invalid entries'), duplicateEmails: 0, blocked: counted('blocked'), unsubscribed: counted('unsubscribed'), hardBounced: counted('hard bounced'), softBounced: 0, ispComplaints: counted('isp complaints'), mailBlocked: counted('mail blocked'), domainSuppressed: counted('domain suppressed'), pendingDoubleOptin: 0, failures: 0 };
  }

  private importInfo(res: ServerResponse, id: string, what: string | undefined): void {
    const imp = this.imports.get(id);
    if (!imp) return this.error(res, 404, 'Import not found. ERROR_IMPORT_NOT_FOUND');
    if (!what) {
      if (imp.status === 'NotFinished' && !this.holdImportsActive) {
        if (imp.pollsLeft <= 0) this.finish(imp);
        else imp.pollsLeft--;
      }
      return sendJson(res, 200, { id, status: imp.status });
    }
    if (imp.status !== 'Finished') return this.error(res, 400, 'Import is not finished. ERROR_IMPORT_REPORT_NOT_FOUND');
    if (what === '/report') return sendJson(res, 200, imp.report);
    if (this.server.takeFault('faults')) return this.error(res, 500, 'An error has occurred. ERROR_UNEXPECTED_ERROR');
    // A UTF-8 CSV file (specs/dotdigital-v2.openapi.json, report-faults) with a byte-order mark (Dotdigital's
    // Magento extension strips one), the columns Reason, email, then the file's (Oro's importFaults.csv fixture).
    const columns = Object.keys(imp.rows[0] ?? {}).filter((c) => c.toLowerCase() !== 'email');
    const lines = imp.faults.map((f) => {
      const email = Object.entries(f.row).find(([k]) => k.toLowerCase() === 'email')?.[1] ?? '';
      return csvLine([f.reason, email, ...columns.map((c) => f.row[c] ?? '')]);
    });
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(`\uFEFF${[csvLine(['Reason', 'email', ...columns]), ...lines].join('')}`);
  }

  /** Marks every active import finished (to free the 25-import limit in tests). */
  finishAll(): void {
    for (const imp of this.imports.values()) if (imp.status === 'NotFinished') this.finish(imp);
  }
}

/** A file media body's file as the count-only emulator keeps it: its lines and its header line. */
class CountedFile {
  constructor(
    readonly lines: number,
    readonly header: string,
  ) {}
}

/**
 * Reads `{"fileName": ..., "data": "<base64>"}` as it streams in, decoding the file a chunk at a time and
 * counting its lines (the last may lack its line break; blank lines count too). It expects the runner's own
 * shape, fileName first: a body without `"data":"` has no file. The emulator that keeps contacts parses any JSON.
 */
async function countFileMedia(req: IncomingMessage): Promise<{ fileName?: string; data?: CountedFile }> {
  const MARK = '"data":"';
  let head = '';
  let inData = false;
  let carry = '';
  let lines = 0;
  let header = '';
  let last = 10;
  const decode = (text: string) => {
    const file = Buffer.from(text, 'base64');
    if (!file.length) return;
    if (!header.includes('\n') && header.length < 65536) header += file.toString('utf8', 0, Math.min(file.length, 65536));
    for (let at = file.indexOf(10); at >= 0; at = file.indexOf(10, at + 1)) lines++;
    last = file[file.length - 1]!;
  };
  let done = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (done) continue; // the closing brace: read, not left in the socket (breaking off would destroy it)
    let text = chunk.toString('latin1');
    if (!inData) {
      head += text;
      const at = head.indexOf(MARK);
      if (at < 0) continue;
      inData = true;
      text = head.slice(at + MARK.length);
      head = head.slice(0, at);
    }
    const close = text.indexOf('"');
    const base64 = carry + (close < 0 ? text : text.slice(0, close));
    const whole = close < 0 ? base64.length - (base64.length % 4) : base64.length;
    decode(base64.slice(0, whole));
    carry = base64.slice(whole);
    done = close >= 0;
  }
  if (!inData) return {};
  const fileName = /"fileName":("(?:[^"\\]|\\.)*")/.exec(head)?.[1];
  return { fileName: fileName === undefined ? undefined : (JSON.parse(fileName) as string), data: new CountedFile(last === 10 ? lines : lines + 1, header.slice(0, header.indexOf('\n') + 1 || undefined)) };
}
