/**
 * HTTP for the data plane (the source and the destinations) on undici: base URLs with path prefixes,
 * HTTPS_PROXY/NO_PROXY, timeouts, retries for idempotent calls, and errors that never carry credentials.
 */
import { createRequire } from 'node:module';
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { HttpError } from '../errors/index.ts';
import type { Redactor } from './redact.ts';
import { backoffMs, isNetworkError, isRetryableStatus, MAX_TRIES, rateLimitWaitMs, sleep } from './retry.ts';
import { joinUrl } from './url.ts';

export interface HttpOptions {
  service: string;
  baseUrl: string;
  redactor: Redactor;
  /** Milliseconds without response headers or body bytes before a call is abandoned. */
  timeoutMs?: number;
  /** First retry delay; tests make it small. */
  retryBaseMs?: number;
  /** The longest rate-limit wait (Retry-After, X-RateLimit-Reset) a call sits out; a longer one fails at once. */
  maxRateLimitWaitMs?: number;
  /** Says why a rate limit asks for so long a wait (a vendor's schemes), for the error. */
  rateLimitHint?: (headers: HttpResponse['headers']) => string;
}

export interface HttpRequest {
  method?: Dispatcher.HttpMethod;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
}

export type HttpResponse = Dispatcher.ResponseData;

/**
 * undici loads on the first request (validate, status and due send none), and only its two parts used here:
 * its index loads all of it (mock agents, caches, fetch, cookies, WebSocket), 0.15 s of every run's start,
 * against 0.05 s for these files. undici has no exports map, so its files may be required by path; a moved
 * file fails every HTTP test at once.
 */
interface UndiciParts {
  EnvHttpProxyAgent: typeof import('undici').EnvHttpProxyAgent;
  /** undici's Dispatcher#request, called on a dispatcher with the origin and path apart. */
  request: (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
}
let undici: UndiciParts | undefined;
function loadUndici(): UndiciParts {
  const load = createRequire(import.meta.url);
  return (undici ??= { EnvHttpProxyAgent: load('undici/lib/dispatcher/env-http-proxy-agent.js') as UndiciParts['EnvHttpProxyAgent'], request: load('undici/lib/api/api-request.js') as UndiciParts['request'] });
}

const dispatchers = new Map<number, Dispatcher>();

/** One proxy-aware connection pool per timeout setting, shared by every client. */
function dispatcherFor(timeoutMs: number): Dispatcher {
  const { EnvHttpProxyAgent } = loadUndici();
  let dispatcher = dispatchers.get(timeoutMs);
  if (!dispatcher) {
    dispatcher = new EnvHttpProxyAgent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connectTimeout: Math.min(timeoutMs, 30_000) });
    dispatchers.set(timeoutMs, dispatcher);
  }
  return dispatcher;
}

export const DEFAULT_TIMEOUT_MS = 120_000;

export class HttpClient {
  readonly service: string;
  readonly redactor: Redactor;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  readonly retryBaseMs: number;
  readonly maxRateLimitWaitMs: number;
  private readonly rateLimitHint: ((headers: HttpResponse['headers']) => string) | undefined;

  constructor(options: HttpOptions) {
    this.service = options.service;
    this.baseUrl = options.baseUrl;
    this.redactor = options.redactor;
    this.retryBaseMs = options.retryBaseMs ?? 1000;
    this.maxRateLimitWaitMs = options.maxRateLimitWaitMs ?? 15 * 60_000;
    this.rateLimitHint = options.rateLimitHint;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  url(path: string, query?: HttpRequest['query']): string {
    return joinUrl(this.baseUrl, path, query);
  }

  /** One attempt; the caller owns the response body. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const { request } = loadUndici();
    const url = new URL(this.url(req.path, req.query));
    return request.call(dispatcherFor(this.timeoutMs), {
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: req.method ?? 'GET',
      headers: { 'user-agent': 'writeback', ...req.headers },
      body: req.body,
    });
  }

  /**
   * Sends an idempotent request, retrying network failures, 408/429/5xx (honouring Retry-After) up to
   * 3 tries. A function `req` is called before each try (to put a fresh token in, say). Non-2xx answers
   * become HttpError, described by `describe` when given.
   */
  async call(req: HttpRequest | (() => Promise<HttpRequest>), describe?: (res: HttpResponse, body: string) => Promise<HttpError> | HttpError): Promise<HttpResponse> {
    let lastError: unknown;
    let spec: HttpRequest | undefined;
    for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
      spec = typeof req === 'function' ? await req() : req;
      let res: HttpResponse;
      try {
        res = await this.send(spec);
      } catch (error) {
        lastError = error;
        if (!isNetworkError(error) || attempt === MAX_TRIES) break;
        await sleep(backoffMs(attempt, this.retryBaseMs));
        continue;
      }
      if (res.statusCode < 300) return res;
      // Redacted whole before anything cuts it: a cut could leave part of an echoed credential.
      const body = this.redactor.redact(await readText(res));
      lastError = describe ? await describe(res, body) : this.error(spec, res.statusCode, body);
      if (!isRetryableStatus(res.statusCode) || attempt === MAX_TRIES) break;
      const limited = rateLimitWaitMs(res.headers);
      if (limited !== undefined && limited > this.maxRateLimitWaitMs) throw this.rateLimitError(spec, res.statusCode, res.headers, limited);
      await sleep(limited ?? backoffMs(attempt, this.retryBaseMs));
    }
    if (lastError instanceof HttpError) throw lastError;
    throw this.networkError(spec, lastError); // the last try's request: its method and path name the call
  }

  /** A rate limit that asks for a longer wait than this client sits out: fail now, saying until when. */
  rateLimitError(req: HttpRequest, status: number, headers: HttpResponse['headers'], waitMs: number): HttpError {
    const reset = new Date(Date.now() + waitMs).toISOString().replace(/\.\d+Z$/, 'Z');
    const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;
    const hint = this.rateLimitHint?.(headers) ?? '';
    return this.error(req, status, '', `rate limited until ${reset} (in ${minutes(waitMs)}), longer than WRITEBACK_RATE_LIMIT_MAX_WAIT allows (${minutes(this.maxRateLimitWaitMs)}).${hint ? ` ${hint}` : ''} The next run tries again.`);
  }

  error(req: HttpRequest | undefined, status: number, body: string, detail?: string, traceId?: string): HttpError {
    const where = req ? ` ${req.method ?? 'GET'} ${new URL(this.url(req.path)).pathname}` : '';
    // Redact the whole text first, then cut: cutting first can leave part of a credential the vendor echoed.
    const clean = this.redactor.redact(body);
    const text = (detail === undefined ? clean.replace(/\s+/g, ' ').trim() : this.redactor.redact(detail)).slice(0, 400);
    const message = this.redactor.redact(`${this.service}${where} answered ${status}${text ? `: ${text}` : ''}${traceId ? ` (trace id ${traceId})` : ''}`);
    return new HttpError(message, this.service, status, clean.slice(0, 2000), traceId);
  }

  networkError(req: HttpRequest | undefined, error: unknown): HttpError {
    const where = req ? ` ${req.method ?? 'GET'} ${new URL(this.url(req.path)).pathname}` : '';
    const reason = error instanceof Error ? `${error.message}${(error as { code?: string }).code ? ` (${(error as { code?: string }).code})` : ''}` : String(error);
    return new HttpError(this.redactor.redact(`${this.service}${where} failed: ${reason}`), this.service, undefined, undefined);
  }
}

/**
 * The response body, decoded when it came compressed. Writeback asks for no compression, and no vendor
 * documents compressed answers, but a proxy in between may compress anyway (see docs/vendors/domo.md).
 */
export function decodedBody(res: HttpResponse): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (!encoding || encoding === 'identity') return res.body;
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : undefined;
  if (!decoder) {
    res.body.resume();
    throw new HttpError(`the answer came with Content-Encoding ${encoding.slice(0, 40)}, which Writeback cannot decode`, 'HTTP', res.statusCode, undefined);
  }
  return pipeline(res.body, decoder, () => {}); // an error on either side reaches the reader
}

/** The whole body; throws when it cannot be read or decoded. */
async function readBody(res: HttpResponse): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of decodedBody(res)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The whole body as text; throws when it cannot be read or decoded. */
async function readAll(res: HttpResponse): Promise<string> {
  return (await readBody(res)).toString('utf8');
}

/** The body as text for an error message: what could be read, or nothing. */
export async function readText(res: HttpResponse): Promise<string> {
  try {
    return await readAll(res);
  } catch {
    return '';
  }
}

/** What an answer's body was meant to be, for the check that it is. */
export type Expected = 'JSON' | 'CSV';

/** The text at the start of a body on one line, without markup (HTML error pages included), for a message. */
export const excerpt = (text: string) => text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);

/**
 * Refuses a successful answer whose content type is not what the call expects (an HTML sign-in page from
 * a proxy where CSV or JSON was due), naming the call: better than a parse error or binary noise later.
 */
export async function expectContent(http: HttpClient, req: HttpRequest, res: HttpResponse, expected: Expected): Promise<void> {
  const type = String(res.headers['content-type'] ?? '').toLowerCase();
  const fits = expected === 'JSON' ? type === '' || type.includes('json') : !/html|json|xml/.test(type);
  if (fits) return;
  const body = http.redactor.redact(await readText(res));
  throw http.error(req, res.statusCode, body, `${type.split(';')[0]} where ${expected} was expected (a proxy, firewall or sign-in page may have answered instead of the vendor)${body ? `: "${excerpt(body)}"` : ''}`);
}

/**
 * A JSON answer, or an error naming the call when it is not JSON. `parse`: JSON.parse, or a reader that
 * keeps what JSON.parse would lose (numbers' exact digits, say).
 */
export function readJson<T>(http: HttpClient, req: HttpRequest, res: HttpResponse, parse: (text: string) => unknown = JSON.parse): Promise<T> {
  return readJsonBytes<T>(http, req, res, (body) => parse(body.toString('utf8')));
}

/** readJson for a reader of the answer's bytes: a large answer read without a string of it. */
export async function readJsonBytes<T>(http: HttpClient, req: HttpRequest, res: HttpResponse, parse: (body: Buffer) => unknown): Promise<T> {
  await expectContent(http, req, res, 'JSON');
  let body: Buffer;
  try {
    body = await readBody(res);
  } catch (error) {
    throw http.error(req, res.statusCode, '', `the answer's body could not be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return (body.length ? parse(body) : undefined) as T;
  } catch {
    // Redacted before the excerpt cuts it (a cut could leave part of a credential); its first MB is all a message shows.
    const clean = http.redactor.redact(body.toString('utf8', 0, Math.min(body.length, 1 << 20)));
    throw http.error(req, res.statusCode, clean, `a body that is not JSON: "${excerpt(clean)}"`);
  }
}
