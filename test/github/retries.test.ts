/**
 * GitHub retries and rate limits through Octokit's retry and throttling plugins (src/github/client.ts), seen
 * from the commit loop: strict nock mocks, so a retry that should not happen fails as an unexpected call.
 */
import { inspect } from 'node:util';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { githubClient } from '../../src/github/client.ts';
import { commitFiles } from '../../src/github/commit.ts';

const API = 'https://api.github.com';
const TOKEN = 'ghs_canarytoken456';
const target = { owner: 'acme', repo: 'writeback-jobs', branch: 'main' };
const repo = '/repos/acme/writeback-jobs';
const file = (path = 'state/a.json', content = '{}') => ({ path, content: Buffer.from(content) });

let log: string[] = [];
/** WRITEBACK_RETRY_BASE_MS 1: every wait (backoff, retry-after, pacing) a thousand times shorter. */
const client = (base = '1') => githubClient({ token: TOKEN, baseUrl: API, env: { WRITEBACK_RETRY_BASE_MS: base }, log: (line) => log.push(line) });

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  log = [];
  expect(pending).toEqual([]);
});

/** The calls of one commit of `blobs` files on head `h`, blobs first expected by the caller. */
function commitCalls(api: nock.Scope, blobs = 1): nock.Scope {
  if (blobs) api.post(`${repo}/git/blobs`).times(blobs).reply(201, { sha: 'b' });
  return api
    .get(`${repo}/git/ref/heads%2Fmain`)
    .reply(200, { object: { sha: 'h' } })
    .get(`${repo}/git/commits/h`)
    .reply(200, { tree: { sha: 't' } })
    .post(`${repo}/git/trees`)
    .reply(201, { sha: 't2' })
    .post(`${repo}/git/commits`)
    .reply(201, { sha: 'c' })
    .patch(`${repo}/git/refs/heads%2Fmain`)
    .reply(200, {});
}

const hourFromNow = () => String(Math.floor(Date.now() / 1000) + 3600);

describe('retries (Octokit retry plugin)', () => {
  it('a 502 on createBlob is retried, and the commit succeeds', async () => {
    const api = nock(API).post(`${repo}/git/blobs`).reply(502, { message: 'Bad Gateway' });
    commitCalls(api);
    expect(await commitFiles(client(), target, [file()], 'm')).toBe('c');
  });

  it('a connection reset is retried like a 5xx', async () => {
    const api = nock(API).post(`${repo}/git/blobs`).replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    commitCalls(api);
    expect(await commitFiles(client(), target, [file()], 'm')).toBe('c');
  });

  it('a 5xx that lasts: 3 more tries, then the commit fails saying what GitHub answered', async () => {
    nock(API).get(`${repo}/git/ref/heads%2Fmain`).times(4).reply(503, { message: 'Service Unavailable' });
    await expect(commitFiles(client(), target, [file()], 'm')).rejects.toThrow(/could not commit state and reports to main \(503: Service Unavailable\)/);
  });

  it.each([401, 403, 404, 409, 422])('a %i is not retried', async (status) => {
    let calls = 0;
    nock(API)
      .get(`${repo}/git/ref/heads%2Fmain`)
      .times(2)
      .reply(() => {
        calls++;
        return [status, { message: status === 401 ? 'Bad credentials' : 'Not Found' }];
      });
    await expect(commitFiles(client(), target, [file()], 'm')).rejects.toThrow(new RegExp(`\\(${status}: `));
    expect(calls).toBe(1);
    nock.cleanAll(); // the second reply was there to catch a retry
  });

  it('a missing permission says what to do, and no error carries the token', async () => {
    nock(API).get(`${repo}/git/ref/heads%2Fmain`).reply(403, { message: 'Resource not accessible by integration' });
    const error = await commitFiles(client(), target, [file()], 'm').catch((e: unknown) => e);
    expect(String(error)).toContain('permissions: contents: write');
    // Octokit's own error, as a caller would see it: its request headers are redacted.
    nock(API).get(`${repo}/git/ref/heads%2Fmain`).reply(401, { message: 'Bad credentials' });
    const raw = await client().rest.git.getRef({ owner: target.owner, repo: target.repo, ref: 'heads/main' }).catch((e: unknown) => e);
    for (const e of [error, raw]) expect(`${inspect(e, { depth: 20 })} ${JSON.stringify(e)}`).not.toContain(TOKEN);
    expect(inspect(raw, { depth: 20 })).toContain('[REDACTED]');
  });
});

describe('rate limits (Octokit throttling plugin)', () => {
  it('a secondary rate limit (403 with retry-after) is waited out and told in the log', async () => {
    const api = nock(API).post(`${repo}/git/blobs`).reply(403, { message: 'You have exceeded a secondary rate limit.' }, { 'retry-after': '30' });
    commitCalls(api);
    expect(await commitFiles(client(), target, [file()], 'm')).toBe('c');
    expect(log).toEqual(['GitHub secondary rate limit on POST /repos/{owner}/{repo}/git/blobs; waiting 30s, then retrying (1 of 2)']);
  });

  it('a 429 secondary rate limit is waited out once, not retried at once by the retry plugin too', async () => {
    let calls = 0;
    const api = nock(API)
      .get(`${repo}/git/ref/heads%2Fmain`)
      .reply(() => {
        calls++;
        return [429, { message: 'You have exceeded a secondary rate limit.' }, { 'retry-after': '1' }];
      });
    commitCalls(api, 0).post(`${repo}/git/blobs`).reply(201, { sha: 'b' });
    expect(await commitFiles(client(), target, [file()], 'm')).toBe('c');
    expect(calls).toBe(1);
    expect(log).toHaveLength(1);
  });

  it('a primary rate limit within the cap is waited out', async () => {
    const soon = String(Math.floor(Date.now() / 1000) + 5);
    const api = nock(API).get(`${repo}/git/ref/heads%2Fmain`).reply(403, { message: 'API rate limit exceeded for installation ID 1.' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': soon });
    commitCalls(api);
    expect(await commitFiles(client(), target, [file()], 'm')).toBe('c');
    expect(log[0]).toMatch(/^GitHub rate limit on GET \/repos\/\{owner\}\/\{repo\}\/git\/ref\/\{ref\}; waiting [5-7]s, then retrying \(1 of 2\)$/);
  });

  it('a primary rate limit beyond the cap fails at once with a clear error', async () => {
    nock(API)
      .get(`${repo}/git/ref/heads%2Fmain`)
      .reply(403, { message: 'API rate limit exceeded for installation ID 1.' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': hourFromNow() });
    const error = String(await commitFiles(client(), target, [file()], 'm').catch((e: unknown) => e));
    expect(error).toMatch(/could not commit state and reports to main \(403: GitHub's rate limit holds until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in 60 min\); the runner waits for one 2 minutes at most, 2 times\. GitHub said: API rate limit exceeded/);
    expect(error).not.toContain('permissions'); // not a permission problem
    expect(log).toEqual([expect.stringMatching(/^GitHub rate limit on GET .*: it asks for 360\ds, longer than the 120s the runner waits; giving up$/)]);
  });

  it('a secondary rate limit that lasts: 2 waits, then a clear error', async () => {
    nock(API).get(`${repo}/git/ref/heads%2Fmain`).reply(200, { object: { sha: 'h' } }).get(`${repo}/git/commits/h`).reply(200, { tree: { sha: 't' } });
    nock(API).post(`${repo}/git/blobs`).times(3).reply(403, { message: 'You have exceeded a secondary rate limit.' }, { 'retry-after': '60' });
    const error = String(await commitFiles(client(), target, [file()], 'm').catch((e: unknown) => e));
    expect(error).toMatch(/\(403: GitHub's rate limit holds until .* \(in 1 min\).*GitHub said: You have exceeded a secondary rate limit/);
    expect(log).toEqual([expect.stringContaining('(1 of 2)'), expect.stringContaining('(2 of 2)'), expect.stringContaining('still limited after 2 waits; giving up')]);
  });
});

describe('pacing of writes', () => {
  it('writes go one at a time, at least 400 ms apart (here scaled: 100 ms)', async () => {
    const times: number[] = [];
    const api = nock(API);
    api.post(`${repo}/git/blobs`).times(3).reply(() => (times.push(Date.now()), [201, { sha: 'b' }]));
    api.get(`${repo}/git/ref/heads%2Fmain`).reply(200, { object: { sha: 'h' } }).get(`${repo}/git/commits/h`).reply(200, { tree: { sha: 't' } });
    api.post(`${repo}/git/trees`).reply(() => (times.push(Date.now()), [201, { sha: 't2' }]));
    api.post(`${repo}/git/commits`).reply(() => (times.push(Date.now()), [201, { sha: 'c' }]));
    api.patch(`${repo}/git/refs/heads%2Fmain`).reply(() => (times.push(Date.now()), [200, {}]));
    const files = ['a', 'b', 'c'].map((n) => file(`state/${n}.json`, n));
    expect(await commitFiles(client('250'), target, files, 'm')).toBe('c');
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps).toHaveLength(5);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(80); // the gap counts from the start of the previous write; timers jitter a little
  });

  it('a 20-file commit stays fast with the waits shortened (the whole suite relies on it)', async () => {
    const started = Date.now();
    commitCalls(nock(API), 20);
    const files = Array.from({ length: 20 }, (_, i) => file(`state/f${i}.json`, String(i)));
    expect(await commitFiles(client(), target, files, 'm')).toBe('c');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('creating issues and comments (not idempotent)', () => {
  const report = { name: 'sales', runId: 'r1', status: 'failed', message: 'boom', rows: { read: 1, sent: 0, rejected: 0, skipped: 0 } } as unknown as import('../../src/reports/run-report.ts').RunReport;

  it('a 502 after GitHub opened the alert issue: listed again, found by its run marker, nothing posted twice', async () => {
    const { syncAlert } = await import('../../src/github/alerts.ts');
    nock(API)
      .get(`${repo}/issues`).query(true).reply(200, [])
      .post(`${repo}/issues`).once().reply(502, { message: 'Bad Gateway' })
      // GitHub did create it: the second look finds it, with this run's marker in its body.
      .get(`${repo}/issues`).query(true).reply(200, [{ number: 7, title: 'writeback: sales failed', body: 'sales failed\n\n<!-- writeback-run r1 -->' }]);
    expect(await syncAlert(client(), target, report)).toBe('updated');
  });

  it('a 502 after GitHub took the comment on an open alert issue: the retry finds the comment and posts nothing more', async () => {
    const { syncAlert } = await import('../../src/github/alerts.ts');
    const issue = { number: 7, title: 'writeback: sales failed', body: 'an earlier run' };
    nock(API)
      .get(`${repo}/issues`).query(true).reply(200, [issue])
      .post(`${repo}/issues/7/comments`).once().reply(502, { message: 'Bad Gateway' })
      .get(`${repo}/issues`).query(true).reply(200, [issue])
      .get(`${repo}/issues/7/comments`).query(true).reply(200, [{ id: 3, body: 'sales failed\n\n<!-- writeback-run r1 -->' }]);
    expect(await syncAlert(client(), target, report)).toBe('updated');
  });

  it('a 502 on the plan comment: listed again, commented once', async () => {
    const { upsertComment } = await import('../../src/github/pr-comment.ts');
    nock(API)
      .get(`${repo}/issues/3/comments`).query(true).reply(200, [])
      .post(`${repo}/issues/3/comments`).reply(502, { message: 'Bad Gateway' })
      .get(`${repo}/issues/3/comments`).query(true).reply(200, [{ id: 9, user: { login: 'github-actions[bot]' }, body: '<!-- m --> plan' }])
      .patch(`${repo}/issues/comments/9`).reply(200, {});
    expect(await upsertComment(client(), target, 3, '<!-- m -->', 'plan')).toBe('updated');
  });
});
