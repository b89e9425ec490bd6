/**
 * Dotdigital API v2 client: Basic auth with the API user, region discovery, data fields, bulk contact
 * import (JSON file media, as the vendor's OpenAPI description gives it), import status, report, faults.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { HttpError, WritebackError } from '../../errors/index.ts';
import { HttpClient, type HttpRequest, type HttpResponse } from '../../http/client.ts';
import type { Redactor } from '../../http/redact.ts';
import { backoffMs, sleep } from '../../http/retry.ts';
import type { DotdigitalContactsSpec, DotdigitalFieldType } from './spec.ts';
import type { SecretResolver } from '../../secrets.ts';
import { httpSettings } from '../../settings.ts';
import { HOSTS_RULE, isAllowedDotdigitalHost } from './hosts.ts';

export const DOTDIGITAL_REGIONS = { r1: 'https://r1-api.dotdigital.com', r2: 'https://r2-api.dotdigital.com', r3: 'https://r3-api.dotdigital.com' } as const;

export interface DataField {
  name: string;
  type: DotdigitalFieldType | 'NotAvailableInThisVersion';
  visibility?: string;
  defaultValue?: unknown;
}

export type ImportStatus = 'Finished' | 'NotFinished' | 'RejectedByWatchdog' | 'InvalidFileFormat' | 'Unknown' | 'Failed' | 'ExceedsAllowedContactLimit' | 'NotAvailableInThisVersion';

export interface ImportReport {
  newContacts?: number;
  updatedContacts?: number;
  invalidEntries?: number;
  duplicateEmails?: number;
  failures?: number;
  [key: string]: number | undefined;
}

/** Turns v2 (`{message: "text ERROR_CODE"}`) and v3 (`{errorCode, description, details}`) errors into one sentence. */
export function describeDotdigitalError(body: string): { detail: string; code?: string } {
  try {
    const json = JSON.parse(body) as { message?: string; errorCode?: string; description?: string; details?: unknown[] };
    if (json.errorCode) return { detail: `${json.description ?? json.errorCode} (${json.errorCode})`, code: json.errorCode };
    if (json.message) return { detail: json.message, code: /\b(ERROR_[A-Z_]+)\b/.exec(json.message)?.[1] };
  } catch {
    // not JSON: use the text
  }
  return { detail: body.slice(0, 300).trim() };
}

const HOURLY_SCHEME =
  "An API user on Dotdigital's hourly (\"flat\") rate scheme, which Dotdigital deprecated, can be capped for up to an hour: ask Dotdigital support to move it to the per-minute tiers, or raise WRITEBACK_RATE_LIMIT_MAX_WAIT.";

/** Why a Dotdigital rate limit asks for a long wait: its scope and limit, and the scheme that does that. */
export function dotdigitalRateLimitHint(headers: Record<string, string | string[] | undefined>): string {
  const scope = headers['x-ratelimit-scope'];
  const limit = headers['x-ratelimit-limit'];
  return `${scope ? `Scope ${String(scope)}` : 'The limit'}${limit ? ` allows ${String(limit)} calls` : ''}. ${HOURLY_SCHEME}`;
}

export class DotdigitalClient {
  constructor(
    readonly http: HttpClient,
    private readonly username: string,
    private readonly password: string,
  ) {
    http.redactor.addBasicAuth(username, password);
  }

  private headers(): Record<string, string> {
    return { authorization: `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`, accept: 'application/json' };
  }

  private json<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const req = { method, path, headers: { ...this.headers(), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined };
    return this.answer<T>(req, req);
  }

  /** Sends the request (a function: called before each try, for a body streamed anew) and reads its JSON answer; errors name `described`. */
  private async answer<T>(req: HttpRequest | (() => Promise<HttpRequest>), described: HttpRequest): Promise<T> {
    const res = await this.http.call(req, (r, text) => this.error(described, r, text));
    const text = await res.body.text(); // 201 Created answers with no body
    return (text ? JSON.parse(text) : undefined) as T;
  }

  error(req: HttpRequest, res: HttpResponse, body: string): HttpError {
    const { detail, code } = describeDotdigitalError(body);
    const hint: Record<number, string> = {
      401: ' Check the API user and password (Dotdigital > Settings > Access > API users).',
      403: ' The API user may belong to another region: set spec.destination.dotdigital.region, or leave it out to discover it.',
    };
    // The hourly ("flat") scheme caps an API user with a 400 (docs/vendors/dotdigital.md, "Rate limits and errors").
    const capped = code === 'ERROR_APIUSAGE_EXCEEDED' ? ` ${HOURLY_SCHEME}` : '';
    const error = this.http.error(req, res.statusCode, body, `${detail}${hint[res.statusCode] ?? ''}${capped}`);
    return Object.assign(error, { code });
  }

  /** The account's own API endpoint, read from account-info's `ApiEndpoint` property. */
  async apiEndpoint(): Promise<string> {
    const info = await this.json<{ properties?: { name?: string; value?: string }[] }>('GET', '/v2/account-info');
    const endpoint = info.properties?.find((p) => p.name === 'ApiEndpoint')?.value;
    if (!endpoint) throw new WritebackError('Dotdigital account-info has no ApiEndpoint; set spec.destination.dotdigital.region or endpoint');
    return endpoint;
  }

  dataFields(): Promise<DataField[]> {
    return this.json<DataField[]>('GET', '/v2/data-fields');
  }

  async createDataField(name: string, type: DotdigitalFieldType): Promise<void> {
    await this.json('POST', '/v2/data-fields', { name, type, visibility: 'Private' });
  }

  /**
   * Starts an import of one CSV file (`bytes` long at `path`), streamed as JSON file media. Waits while the
   * account has 25 active imports (ERROR_IMPORT_TOOMANYACTIVEIMPORTS), up to `maxWaitMs` (0: not at all), and
   * not once `signal` is aborted: then the refusal is thrown.
   */
  async startImport(file: { path: string; bytes: number }, fileName: string, mergeOption: string, addressBookId?: number, maxWaitMs = 10 * 60_000, signal?: AbortSignal): Promise<{ id: string; status: ImportStatus }> {
    const base = addressBookId ? `/v2/address-books/${addressBookId}/contacts/import` : '/v2/contacts/import';
    const path = `${base}/with-merge-option/${mergeOption}`;
    const started = Date.now();
    const media = fileMedia(fileName, file.bytes);
    const request = async (): Promise<HttpRequest> => ({
      method: 'POST',
      path,
      headers: { ...this.headers(), 'content-type': 'application/json', 'content-length': String(media.length) },
      body: Readable.from(media.chunks(file.path)),
    });
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.answer(request, { method: 'POST', path });
      } catch (error) {
        const busy = (error as { code?: string }).code === 'ERROR_IMPORT_TOOMANYACTIVEIMPORTS';
        if (!busy || signal?.aborted || Date.now() - started >= maxWaitMs) throw error;
        await sleep(Math.min(backoffMs(attempt, this.http.retryBaseMs * 5), 60_000));
      }
    }
  }

  importStatus(id: string): Promise<{ id: string; status: ImportStatus }> {
    return this.json('GET', `/v2/contacts/import/${encodeURIComponent(id)}`);
  }

  importReport(id: string): Promise<ImportReport> {
    return this.json('GET', `/v2/contacts/import/${encodeURIComponent(id)}/report`);
  }

  /** The rejected rows of an import as CSV text (kept by Dotdigital for about a week). */
  async importFaults(id: string): Promise<string> {
    const req = { path: `/v2/contacts/import/${encodeURIComponent(id)}/report-faults`, headers: { ...this.headers(), accept: 'text/csv, application/octet-stream' } };
    const res = await this.http.call(req, (r, text) => this.error(req, r, text));
    return res.body.text();
  }
}

/** Bytes of the file read at a time: a multiple of 3, so each chunk's base64 stands alone. */
const MEDIA_CHUNK_BYTES = 3 * 16 * 1024;

/**
 * The import's body, `{"fileName": ..., "data": "<the file in base64>"}` (ApiFileMedia in
 * docs/vendors/specs/dotdigital-v2.openapi.json), written as it is sent: a 35 MB part never sits in memory
 * as base64 (47 MB) and again as JSON. Its length is known beforehand, so it goes with a Content-Length.
 */
export function fileMedia(fileName: string, bytes: number): { length: number; chunks(path: string): AsyncGenerator<Buffer> } {
  const head = Buffer.from(`{"fileName":${JSON.stringify(fileName)},"data":"`);
  const tail = Buffer.from('"}');
  return {
    length: head.length + 4 * Math.ceil(bytes / 3) + tail.length,
    async *chunks(path: string) {
      yield head;
      let carry = Buffer.alloc(0);
      for await (const chunk of createReadStream(path, { highWaterMark: MEDIA_CHUNK_BYTES }) as AsyncIterable<Buffer>) {
        const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        const whole = data.length - (data.length % 3);
        if (whole) yield Buffer.from(data.toString('base64', 0, whole), 'latin1');
        carry = Buffer.from(data.subarray(whole));
      }
      if (carry.length) yield Buffer.from(carry.toString('base64'), 'latin1');
      yield tail;
    },
  };
}

/** Where the account's API lives: DOTDIGITAL_API_URL, else the definition's endpoint or region, else discovered. */
export async function resolveEndpoint(options: {
  env: NodeJS.ProcessEnv;
  region?: 'r1' | 'r2' | 'r3';
  endpoint?: string;
  discover: (discoveryUrl: string) => Promise<string>;
}): Promise<{ url: string; how: string }> {
  if (options.env.DOTDIGITAL_API_URL) return { url: options.env.DOTDIGITAL_API_URL, how: 'DOTDIGITAL_API_URL' };
  if (options.endpoint) return { url: allowed(options.endpoint, 'spec.destination.dotdigital.endpoint', options.env), how: 'spec endpoint' };
  if (options.region) return { url: DOTDIGITAL_REGIONS[options.region], how: `region ${options.region}` };
  const discoveryUrl = options.env.DOTDIGITAL_DISCOVERY_URL || DOTDIGITAL_REGIONS.r1;
  return { url: allowed(await options.discover(discoveryUrl), "account-info's ApiEndpoint", options.env), how: 'discovered through account-info' };
}

/** The URL, when credentials may go there (https, an allowed host); refused before any credential leaves. */
function allowed(endpoint: string, what: string, env: NodeJS.ProcessEnv): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new WritebackError(`${what} "${endpoint.slice(0, 100)}" is not a URL; nothing was sent`);
  }
  if (!isAllowedDotdigitalHost(url, env)) {
    throw new WritebackError(`${what} ${url.protocol}//${url.host} is not one of ${HOSTS_RULE} over https: the API user's credentials are not sent there; nothing was sent`);
  }
  return endpoint;
}

/** Resolves the API user's secrets, finds the account's endpoint and returns a client for it. */
export async function connectDotdigital(
  target: DotdigitalContactsSpec['destination']['dotdigital'],
  job: string,
  secrets: SecretResolver,
  env: NodeJS.ProcessEnv,
  redactor: Redactor,
): Promise<{ client: DotdigitalClient; endpoint: { url: string; how: string } }> {
  const username = secrets.resolve(job, target.username);
  const password = secrets.resolve(job, target.password);
  const settings = httpSettings(env);
  const at = (baseUrl: string) => new DotdigitalClient(new HttpClient({ service: 'Dotdigital', baseUrl, redactor, ...settings, rateLimitHint: dotdigitalRateLimitHint }), username, password);
  const endpoint = await resolveEndpoint({ env, region: target.region, endpoint: target.endpoint, discover: (url) => at(url).apiEndpoint() });
  return { client: at(endpoint.url), endpoint };
}
