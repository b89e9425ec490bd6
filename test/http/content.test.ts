/** HttpClient's reading of answers: compressed bodies decoded, a body of the wrong type refused, naming the call. */
import { randomBytes } from 'node:crypto';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodedBody, expectContent, readJson, readText } from '../../src/http/client.ts';
import { answer, failure, useClient, type Handler } from './test-server.ts';

const { server, client } = useClient();

describe('compressed and mistyped answers', () => {
  const payload = { rows: [[1, 'é']], note: 'x'.repeat(500) };
  const compressed = (encoding: string, body: Buffer, type = 'application/json'): Handler => (_req, res) => {
    res.writeHead(200, { 'content-type': type, 'content-encoding': encoding });
    res.end(body);
  };
  const get = async (http = client()) => http.call({ path: '/data' });

  it.each([
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['GZIP', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)('decodes %s', async (encoding, compress) => {
    server.handler = compressed(encoding, compress(JSON.stringify(payload)));
    const http = client();
    expect(await readJson(http, { path: '/data' }, await get(http))).toEqual(payload);
  });

  it('passes an uncompressed body through', async () => {
    server.handler = compressed('identity', Buffer.from('a,b\n1,2\n'), 'text/csv');
    expect(await readText(await get())).toBe('a,b\n1,2\n');
  });

  it('refuses an encoding it cannot decode, naming it', async () => {
    server.handler = compressed('zstd', Buffer.from('whatever'));
    const res = await get();
    expect(() => decodedBody(res)).toThrow(/Content-Encoding zstd, which Writeback cannot decode/);
  });

  it('a corrupt gzip body errors the stream instead of yielding garbage', async () => {
    server.handler = compressed('gzip', Buffer.from('this is not gzip at all'));
    const stream = decodedBody(await get());
    await expect((async () => { for await (const _ of stream) void _; })()).rejects.toThrow();
  });

  it('a connection cut mid-body reaches the reader of the decoded stream', { timeout: 3000 }, async () => {
    const whole = gzipSync(randomBytes(50_000)); // incompressible, so 200 bytes are far from all of it
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(whole.length) });
      res.write(whole.subarray(0, 200), () => setTimeout(() => res.destroy(), 20));
    };
    const stream = decodedBody(await get());
    await expect((async () => { for await (const _ of stream) void _; })()).rejects.toThrow();
  });

  it('refuses an HTML sign-in page where JSON was due, naming the call', async () => {
    server.handler = compressed('identity', Buffer.from('<html><body><h1>Please sign in</h1></body></html>'), 'text/html; charset=utf-8');
    const http = client({ baseUrl: `${server.base}/proxy` });
    const error = await failure(readJson(http, { path: '/v1/datasets/1' }, await get(http)));
    expect(error.status).toBe(200);
    expect(error.message).toBe(
      'Acme GET /proxy/v1/datasets/1 answered 200: text/html where JSON was expected (a proxy, firewall or sign-in page may have answered instead of the vendor): "Please sign in"',
    );
  });

  it('accepts CSV as anything but HTML, JSON or XML', async () => {
    const http = client();
    server.handler = compressed('identity', Buffer.from('a\n'), 'text/csv; charset=utf-8');
    await expect(expectContent(http, { path: '/data' }, await get(http), 'CSV')).resolves.toBeUndefined();
    server.handler = compressed('identity', Buffer.from('{"error":"x"}'), 'application/json');
    await expect(expectContent(http, { path: '/data' }, await get(http), 'CSV')).rejects.toThrow(/application\/json where CSV was expected/);
  });

  it('reads JSON without a content type, and refuses a body that is not JSON', async () => {
    const http = client();
    server.handler = answer(200, '{"ok":true}');
    expect(await readJson(http, { path: '/data' }, await get(http))).toEqual({ ok: true });
    server.handler = answer(200, '{"ok":tru', { 'content-type': 'application/json' });
    const error = await failure(readJson(http, { path: '/data' }, await get(http)));
    expect(error.message).toBe('Acme GET /data answered 200: a body that is not JSON: "{"ok":tru"');
  });

  it('readJson rejects a body it cannot decode instead of returning nothing', async () => {
    const http = client();
    server.handler = compressed('zstd', Buffer.from('{"ok":true}'), 'application/json');
    const unknown = await failure(readJson(http, { path: '/data' }, await get(http)));
    expect(unknown.message).toBe("Acme GET /data answered 200: the answer's body could not be read: the answer came with Content-Encoding zstd, which Writeback cannot decode");
    server.handler = compressed('gzip', Buffer.from('not gzip at all'), 'application/json');
    const corrupt = await failure(readJson(http, { path: '/data' }, await get(http)));
    expect(corrupt.message).toMatch(/^Acme GET \/data answered 200: the answer's body could not be read: /);
  });

  it('expectContent and readJson redact a secret that straddles the 200-character excerpt', async () => {
    const SECRET = 'Zq9sk_live_0123456789abcdef';
    const http = client();
    http.redactor.add(SECRET);
    server.handler = answer(200, `${'x'.repeat(195)}${SECRET}`, { 'content-type': 'text/html' });
    const html = await failure(readJson(http, { path: '/data' }, await get(http)));
    server.handler = answer(200, `{"token":"${'x'.repeat(180)}${SECRET}`, { 'content-type': 'application/json' });
    const broken = await failure(readJson(http, { path: '/data' }, await get(http)));
    expect(html.message).toContain('text/html where JSON was expected');
    expect(broken.message).toContain('a body that is not JSON');
    for (const error of [html, broken]) expect(error.message).not.toContain(SECRET.slice(0, 5));
  });
});
