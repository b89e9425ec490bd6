/**
 * A destination defined in test/ through the public contract alone (webhook-destination.ts), registered at
 * run time: validate, plan and reconcile treat it as they treat the built-in ones.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DomoEmulator } from '../../src/emulators/domo.ts';
import { registerDestination } from '../../src/registry.ts';
import { runCli, scratchRepo } from '../helpers/repo.ts';
import { webhookRows } from './webhook-destination.ts';

const SECRETS = { DOMO_CLIENT_ID: 'canary-domo-client-7f3a', DOMO_CLIENT_SECRET: 'canary-domo-secret-91bd', WEBHOOK_TOKEN: 'canary-webhook-token-0c1d' };
const definition = (url: string, extra = '') => `apiVersion: writeback/v1
kind: WebhookRowsWriteback
metadata:
  name: scores
spec:
  source:
    domo:
      datasetId: ds-scores
      clientId: { secret: DOMO_CLIENT_ID }
      clientSecret: { secret: DOMO_CLIENT_SECRET }
  destination:
    webhook:
      url: ${url}
      token: { secret: WEBHOOK_TOKEN }
  mapping:
    id: player
    value: score
  rejects:
    maxRatio: 0.5
${extra}`;

/** The tiny webhook: takes POST /rows with the right token, keeps what arrived. */
class Webhook {
  readonly posts: { headers: IncomingHttpHeaders; body: string }[] = [];
  private server?: Server;
  url = '';
  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.headers.authorization !== `Bearer ${SECRETS.WEBHOOK_TOKEN}`) return void res.writeHead(401).end('{"error":"bad token"}');
        if (req.method !== 'POST' || req.url !== '/rows') return void res.writeHead(404).end();
        this.posts.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop = () => new Promise<void>((done) => this.server?.close(() => done()));
}

const domo = new DomoEmulator({ [SECRETS.DOMO_CLIENT_ID]: SECRETS.DOMO_CLIENT_SECRET });
const webhook = new Webhook();
let root: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  registerDestination(webhookRows);
  await Promise.all([domo.start(), webhook.start()]);
});
afterAll(async () => {
  await Promise.all([domo.stop(), webhook.stop()]);
});
beforeEach(() => {
  domo.datasets.clear();
  webhook.posts.length = 0;
  domo.addDataSet({
    id: 'ds-scores',
    name: 'Scores',
    columns: [{ name: 'player', type: 'STRING' }, { name: 'score', type: 'DECIMAL' }],
    rows: [['ada', '12.5'], ['bob', '7'], ['ada', '99'], ['cy', 'high']],
  });
  root = scratchRepo({ 'connectors/scores.yaml': definition(webhook.url) });
  env = { ...SECRETS, DOMO_API_URL: domo.url, WRITEBACK_RETRY_BASE_MS: '10' };
});
afterEach(() => {
  expect(JSON.stringify(webhook.posts.map((p) => p.body))).not.toContain(SECRETS.DOMO_CLIENT_SECRET);
});

describe('a destination registered through the contract', () => {
  it('validates with its own schema fragment, checks and credential paths, naming the line', async () => {
    expect((await runCli(['validate'], { root, env })).stdout).toBe('1 definition valid');
    const bad = definition('ftp://example.com', '').replace('token: { secret: WEBHOOK_TOKEN }', 'token: hunter2').replace('    value: score\n', '    value: score\n    extra: x\n');
    const broken = scratchRepo({ 'connectors/scores.yaml': bad });
    const { code, stdout } = await runCli(['validate'], { root: broken, env });
    expect(code).toBe(1);
    expect(stdout).toContain('connectors/scores.yaml:13:12: spec.destination.webhook.url: "ftp://example.com" is not an http(s) URL');
    expect(stdout).toContain('connectors/scores.yaml:14:14: spec.destination.webhook.token: a credential must not be written in the definition');
    expect(stdout).toContain('connectors/scores.yaml:18:5: spec.mapping.extra: unknown key; expected one of: id, value');
    expect(stdout).not.toContain('hunter2');
  });

  it('plans what a reconcile then does: the same counts, nothing sent by the plan', async () => {
    const { code, stdout } = await runCli(['plan', '--json', '--detailed-exitcode'], { root, env });
    expect(code).toBe(2);
    const [plan] = JSON.parse(stdout).plans;
    expect(plan).toMatchObject({ kind: 'WebhookRowsWriteback', rows: { read: 4, toSend: 2, rejected: 1, skipped: 1 }, uploads: 1, unit: { one: 'row', many: 'rows' } });
    expect(plan.columns).toEqual([
      { field: 'id', column: 'player', need: 'text', domoType: 'STRING', verdict: 'ok' },
      { field: 'value', column: 'score', need: 'number', domoType: 'DECIMAL', verdict: 'ok' },
    ]);
    expect(webhook.posts).toHaveLength(0);

    const run = await runCli(['reconcile', '--force'], { root, env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('scores: succeeded: Posted 2 rows in 1 file(s).');
    expect(webhook.posts).toHaveLength(1);
    expect(webhook.posts[0]!.body).toBe('id,value\nada,12.5\nbob,7\n');
    expect(webhook.posts[0]!.headers['idempotency-key']).toMatch(/^[0-9a-f]{64}$/);
    const state = JSON.parse(readFileSync(join(root, 'state', 'scores.json'), 'utf8'));
    expect(state).toMatchObject({ kind: 'WebhookRowsWriteback', filesAccepted: 1, lastRun: { status: 'succeeded', rows: { read: 4, sent: 2, rejected: 1, skipped: 1 } } });
    const reportDir = join(root, 'reports', 'scores');
    const { readdirSync } = await import('node:fs');
    const markdown = readdirSync(reportDir).find((f) => f.endsWith('.md'))!;
    expect(readFileSync(join(reportDir, markdown), 'utf8')).toContain('Post 1: 2 rows, HTTP 200.');
    for (const file of readdirSync(reportDir)) expect(readFileSync(join(reportDir, file), 'utf8')).not.toContain(SECRETS.WEBHOOK_TOKEN);
  });

  it('gets the shared reject gate and dry run without writing either', async () => {
    domo.datasets.get('ds-scores')!.rows!.push(['dee', 'n/a'], ['eve', '?'], ['fay', '']);
    const gated = await runCli(['reconcile', '--force'], { root, env });
    expect(gated.stdout).toMatch(/scores: failed: 4 of 7 rows are invalid \(57.1%\), more than rejects.maxRatio 50.0% allows; nothing was sent./);
    expect(gated.code).toBe(1);
    domo.datasets.get('ds-scores')!.rows!.splice(4);
    const dry = await runCli(['reconcile', '--force', '--dry-run'], { root, env });
    expect(dry.stdout).toMatch(/scores: succeeded \(dry run\): Would send 2 rows in 1 file\(s\), written to .*\. No state changed\./);
    expect(webhook.posts).toHaveLength(0);
  });
});
