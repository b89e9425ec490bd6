/**
 * The retry rules on their own: which answers and failures are worth another try, how long a
 * rate limit asks to wait (Retry-After, X-RateLimit-Reset in both its readings), and the backoff.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffMs, errorCode, isInvalidRequest, isNetworkError, isRetryableStatus, MAX_TRIES, rateLimitWaitMs, requestNeverSent, retryAfterMs } from '../../src/http/retry.ts';

const NOW = Date.parse('2025-03-01T12:00:00Z');
const DAY_MS = 24 * 3_600_000;
const coded = (code: string) => Object.assign(new Error(code), { code });

describe('which answers are retried', () => {
  it('tries three times in all', () => {
    expect(MAX_TRIES).toBe(3);
  });

  it.each([408, 429, 500, 502, 503, 504])('retries %i', (status) => {
    expect(isRetryableStatus(status)).toBe(true);
  });

  // Client errors will not change on a retry; 501 and 409 are not in the list either.
  it.each([200, 301, 400, 401, 403, 404, 409, 422, 501])('does not retry %i', (status) => {
    expect(isRetryableStatus(status)).toBe(false);
  });
});

describe('which failures are network errors', () => {
  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])('%s is one', (code) => {
    expect(isNetworkError(coded(code))).toBe(true);
  });

  it('finds the code on a wrapped cause (fetch-style errors)', () => {
    const wrapped = new Error('fetch failed', { cause: new Error('inner', { cause: coded('ECONNRESET') }) });
    expect(errorCode(wrapped)).toBe('ECONNRESET');
    expect(isNetworkError(wrapped)).toBe(true);
  });

  it('stops looking after a few causes', () => {
    let deep: Error = coded('ECONNRESET');
    for (let i = 0; i < 6; i++) deep = new Error('wrap', { cause: deep });
    expect(errorCode(deep)).toBeUndefined();
  });

  it('a programming error or a refused request is not one', () => {
    expect(isNetworkError(new TypeError('x is undefined'))).toBe(false);
    expect(isNetworkError(coded('ERR_INVALID_CHAR'))).toBe(false);
    expect(isNetworkError(undefined)).toBe(false);
    expect(isNetworkError('ECONNRESET')).toBe(false);
  });

  it('tells a request that never left from one that may have arrived', () => {
    expect(requestNeverSent(coded('ECONNREFUSED'))).toBe(true);
    expect(requestNeverSent(coded('ENOTFOUND'))).toBe(true);
    expect(requestNeverSent(coded('ECONNRESET'))).toBe(false);
    expect(requestNeverSent(coded('UND_ERR_HEADERS_TIMEOUT'))).toBe(false);
    // A header the client refused to build was never sent either, and a retry would be refused again.
    expect(requestNeverSent(coded('UND_ERR_INVALID_ARG'))).toBe(true);
    expect(isInvalidRequest(coded('ERR_INVALID_HTTP_TOKEN'))).toBe(true);
    expect(isInvalidRequest(coded('ECONNREFUSED'))).toBe(false);
  });
});

describe('Retry-After', () => {
  it('reads seconds', () => {
    expect(retryAfterMs('3', NOW)).toBe(3000);
    expect(retryAfterMs(' 7 ', NOW)).toBe(7000);
    expect(retryAfterMs('0', NOW)).toBe(0);
  });

  it('reads an HTTP date as the time left until it', () => {
    expect(retryAfterMs(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90_000);
    expect(retryAfterMs('Sat, 01 Mar 2025 12:00:05 GMT', NOW)).toBe(5000);
  });

  it('a date already past means no wait', () => {
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', NOW)).toBe(0);
  });

  it('takes the first of repeated headers', () => {
    expect(retryAfterMs(['2', '60'], NOW)).toBe(2000);
  });

  it('says nothing for a missing or unreadable value', () => {
    expect(retryAfterMs(undefined, NOW)).toBeUndefined();
    expect(retryAfterMs('', NOW)).toBeUndefined();
    expect(retryAfterMs('soon', NOW)).toBeUndefined();
    expect(retryAfterMs('120s', NOW)).toBeUndefined();
  });

  it('clamps absurd waits to a day', () => {
    expect(retryAfterMs('99999999999', NOW)).toBe(DAY_MS);
    expect(retryAfterMs(new Date(NOW + 3 * DAY_MS).toUTCString(), NOW)).toBe(DAY_MS);
  });

  // V8's Date.parse reads "1.5" as 5 Jan 2001: without a month name it is no HTTP date, and the backoff applies.
  it('ignores a fractional or garbled Retry-After rather than reading it as a date in 2001', () => {
    expect(retryAfterMs('1.5', NOW)).toBeUndefined();
    expect(retryAfterMs('abc 12', NOW)).toBeUndefined();
    expect(retryAfterMs('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(0);
  });
});

describe('rate-limit wait from the headers', () => {
  it('prefers Retry-After over X-RateLimit-Reset', () => {
    expect(rateLimitWaitMs({ 'retry-after': '2', 'x-ratelimit-reset': '60' }, NOW)).toBe(2000);
  });

  it('reads a small X-RateLimit-Reset as seconds until the reset', () => {
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': '30' }, NOW)).toBe(30_000);
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': '0.25' }, NOW)).toBe(250);
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': '0' }, NOW)).toBe(0);
  });

  it('reads a large X-RateLimit-Reset as an epoch time in seconds', () => {
    const epoch = String(NOW / 1000 + 90);
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': epoch }, NOW)).toBe(90_000);
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': [epoch] }, NOW)).toBe(90_000);
  });

  it('an epoch already past means no wait', () => {
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': String(NOW / 1000 - 600) }, NOW)).toBe(0);
  });

  it('the two readings part at ten years of seconds', () => {
    const threshold = 10 * 365 * 24 * 3600;
    // Just below: a count of seconds (clamped to a day); just above: an epoch at the end of 1979, long past.
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': String(threshold) }, NOW)).toBe(DAY_MS);
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': String(threshold + 1) }, NOW)).toBe(0);
  });

  it('says nothing without a usable header', () => {
    expect(rateLimitWaitMs({}, NOW)).toBeUndefined();
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': '' }, NOW)).toBeUndefined();
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': 'later' }, NOW)).toBeUndefined();
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': '-5' }, NOW)).toBeUndefined();
    expect(rateLimitWaitMs({ 'retry-after': 'soon' }, NOW)).toBeUndefined();
  });

  it('falls back to X-RateLimit-Reset when Retry-After is unreadable', () => {
    expect(rateLimitWaitMs({ 'retry-after': 'soon', 'x-ratelimit-reset': '4' }, NOW)).toBe(4000);
  });
});

describe('backoff', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('doubles with each attempt, within a quarter either way', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect([1, 2, 3].map((a) => backoffMs(a, 100))).toEqual([75, 150, 300]);
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    expect([1, 2, 3].map((a) => backoffMs(a, 100))).toEqual([125, 250, 500]);
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    expect(backoffMs(2, 1000)).toBe(2000);
  });

  it('is jittered so clients do not retry in step', () => {
    const waits = new Set(Array.from({ length: 50 }, () => backoffMs(1, 10_000)));
    expect(waits.size).toBeGreaterThan(1);
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(7500);
      expect(wait).toBeLessThanOrEqual(12_500);
    }
  });
});
