/** Retry defaults as octokit has them: 3 tries, backoff, honour Retry-After, never retry a client error. */

export const MAX_TRIES = 3;
/** Answers that will not change on a retry (400 bad request, 401/403 auth, 404 missing, 422 invalid). */
const NEVER_RETRY = new Set([400, 401, 403, 404, 422]);
const RETRY = new Set([408, 429, 500, 502, 503, 504]);
/** No answer asks for a longer wait than this; longer hints are clamped (callers decide how long they will wait). */
const MAX_WAIT_MS = 24 * 3_600_000;

export function isRetryableStatus(status: number): boolean {
  return RETRY.has(status) && !NEVER_RETRY.has(status);
}

/** Network failures where the request never reached the server, so a retry cannot duplicate anything. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Failures after the request may have been (partly) sent. */
const MAYBE_SENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED', 'UND_ERR_ABORTED', 'ETIMEDOUT']);

export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A request the HTTP client refused to build (a header value with a line break, say): nothing left, and a retry would be refused again. */
const INVALID_REQUEST_CODES = new Set(['UND_ERR_INVALID_ARG', 'ERR_INVALID_CHAR', 'ERR_INVALID_HTTP_TOKEN']);

export const isInvalidRequest = (error: unknown): boolean => INVALID_REQUEST_CODES.has(errorCode(error) ?? '');
export const requestNeverSent = (error: unknown): boolean => NOT_SENT_CODES.has(errorCode(error) ?? '') || isInvalidRequest(error);
export const isNetworkError = (error: unknown): boolean => {
  const code = errorCode(error) ?? '';
  return NOT_SENT_CODES.has(code) || MAYBE_SENT_CODES.has(code);
};

/** Milliseconds to wait from a Retry-After header (seconds or an HTTP date), if it says anything usable. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Math.min(Number(value) * 1000, MAX_WAIT_MS);
  // An HTTP date names its month (RFC 9110 5.6.7); V8's Date.parse would read "1.5" as a day in 2001.
  if (!/\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b/i.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.min(Math.max(0, date - now), MAX_WAIT_MS);
}

/** Ten years of seconds: an X-RateLimit-Reset above this is an epoch time, below it a count of seconds. */
const EPOCH_THRESHOLD_S = 10 * 365 * 24 * 3600;

/**
 * Milliseconds until a rate limit resets, from Retry-After or X-RateLimit-Reset (docs/vendors: sources
 * disagree whether that is seconds-until-reset or an epoch time: both readings are accepted).
 */
export function rateLimitWaitMs(headers: Record<string, string | string[] | undefined>, now = Date.now()): number | undefined {
  const fromRetryAfter = retryAfterMs(headers['retry-after'], now);
  if (fromRetryAfter !== undefined) return fromRetryAfter;
  const raw = headers['x-ratelimit-reset'];
  const value = Number(Array.isArray(raw) ? raw[0] : raw);
  if (!raw || !Number.isFinite(value) || value < 0) return undefined;
  const ms = value > EPOCH_THRESHOLD_S ? value * 1000 - now : value * 1000;
  return Math.min(Math.max(0, ms), MAX_WAIT_MS);
}

/** Exponential backoff with jitter: ~base, 2x base, 4x base ... */
export function backoffMs(attempt: number, baseMs: number): number {
  return Math.round(baseMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
