/**
 * HTTP for the data plane (Domo, Emarsys, Dotdigital) on undici: base URLs with path prefixes,
 * HTTPS_PROXY/NO_PROXY, timeouts, retries for idempotent calls, and errors that never carry credentials.
 */
import type { Readable } from 'node:stream';
import { EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
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
}

export interface HttpRequest {
  method?: Dispatcher.HttpMethod;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
}

export type HttpResponse = Dispatcher.ResponseData;

const dispatchers = new Map<number, Dispatcher>();

/** One proxy-aware connection pool per timeout setting, shared by every client. */
function dispatcherFor(timeoutMs: number): Dispatcher {
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
  private readonly dispatcher: Dispatcher;
  readonly retryBaseMs: number;

  constructor(options: HttpOptions) {
    this.service = options.service;
    this.baseUrl = options.baseUrl;
    this.redactor = options.redactor;
    this.retryBaseMs = options.retryBaseMs ?? 1000;
    this.dispatcher = dispatcherFor(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  url(path: string, query?: HttpRequest['query']): string {
    return joinUrl(this.baseUrl, path, query);
  }

  /** One attempt; the caller owns the response body. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    return request(this.url(req.path, req.query), {
      method: req.method ?? 'GET',
      headers: { 'user-agent': 'writeback', ...req.headers },
      body: req.body,
      dispatcher: this.dispatcher,
    });
  }

  /**
   * Sends an idempotent request, retrying network failures, 408/429/5xx (honouring Retry-After) up to
   * 3 tries. A function `req` is called before each try (to put a fresh token in, say). Non-2xx answers
   * become HttpError, described by `describe` when given.
   */
  async call(req: HttpRequest | (() => Promise<HttpRequest>), describe?: (res: HttpResponse, body: string) => Promise<HttpError> | HttpError): Promise<HttpResponse> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
      const spec = typeof req === 'function' ? await req() : req;
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
      const body = await readText(res);
      lastError = describe ? await describe(res, body) : this.error(spec, res.statusCode, body);
      if (!isRetryableStatus(res.statusCode) || attempt === MAX_TRIES) break;
      await sleep(rateLimitWaitMs(res.headers) ?? backoffMs(attempt, this.retryBaseMs));
    }
    if (lastError instanceof HttpError) throw lastError;
    throw this.networkError(typeof req === 'function' ? undefined : req, lastError);
  }

  error(req: HttpRequest | undefined, status: number, body: string, detail?: string, traceId?: string): HttpError {
    const where = req ? ` ${req.method ?? 'GET'} ${new URL(this.url(req.path)).pathname}` : '';
    const text = detail ?? body.slice(0, 300).replace(/\s+/g, ' ').trim();
    const message = this.redactor.redact(`${this.service}${where} answered ${status}${text ? `: ${text}` : ''}${traceId ? ` (trace id ${traceId})` : ''}`);
    return new HttpError(message, this.service, status, this.redactor.redact(body.slice(0, 2000)), traceId);
  }

  networkError(req: HttpRequest | undefined, error: unknown): HttpError {
    const where = req ? ` ${req.method ?? 'GET'} ${new URL(this.url(req.path)).pathname}` : '';
    const reason = error instanceof Error ? `${error.message}${(error as { code?: string }).code ? ` (${(error as { code?: string }).code})` : ''}` : String(error);
    return new HttpError(this.redactor.redact(`${this.service}${where} failed: ${reason}`), this.service, undefined, undefined);
  }
}

export async function readText(res: HttpResponse): Promise<string> {
  try {
    return await res.body.text();
  } catch {
    return '';
  }
}
