/**
 * Canary secrets: every command, on success and on failure, inside and outside GitHub Actions, and the
 * demo. No canary value (nor its base64 or URL-encoded form) may appear in any output, report, state
 * file, commit, comment, issue or error; only `::add-mask::` lines, which the Actions runner consumes to
 * hide the value, carry it.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DomoEmulator } from '../src/emulators/domo.ts';
import { DotdigitalEmulator } from '../src/emulators/dotdigital.ts';
import { EmarsysEmulator } from '../src/emulators/emarsys.ts';
import { FakeGitHub } from './helpers/fake-github.ts';
import { COLUMNS, CONTACT_COLUMNS, contacts, contactsJob, lines, salesJob } from './helpers/fixtures.ts';
import { runCli, scratchRepo } from './helpers/repo.ts';

const CANARY = {
  DOMO_CLIENT_ID: 'canary-domo-id-Zq81',
  DOMO_CLIENT_SECRET: 'canary-domo-secret-Lw27',
  EMARSYS_MERCHANT_ID: 'canary-merchant-Pp04',
  EMARSYS_SALES_TOKEN: 'canary-sales-token-Hx66',
  DOTDIGITAL_API_USER: 'canary-apiuser@apiconnector.com',
  DOTDIGITAL_API_PASSWORD: 'canary-dd-password-Tt93',
  GITHUB_TOKEN: 'ghs_canaryGitHubToken00',
};
const FORMS = Object.values(CANARY).flatMap((v) => [v, Buffer.from(v).toString('base64'), encodeURIComponent(v)]);
FORMS.push(Buffer.from(`${CANARY.DOMO_CLIENT_ID}:${CANARY.DOMO_CLIENT_SECRET}`).toString('base64'));
FORMS.push(Buffer.from(`${CANARY.DOTDIGITAL_API_USER}:${CANARY.DOTDIGITAL_API_PASSWORD}`).toString('base64'));

/** Every canary occurrence outside ::add-mask:: lines. */
function leaks(where: string, text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .flatMap((line) => FORMS.filter((form) => line.includes(form)).map((form) => `${where}: ${form}`));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false })
    .map((f) => join(dir, String(f)))
    .filter((f) => statSync(f).isFile());
}

describe('secret hygiene with canary values', () => {
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(() => nock.cleanAll());

  it('validate, plan, reconcile (success and failure) and status leak nothing anywhere', async () => {
    const domo = new DomoEmulator({ [CANARY.DOMO_CLIENT_ID]: CANARY.DOMO_CLIENT_SECRET });
    const emarsys = new EmarsysEmulator({ [CANARY.EMARSYS_MERCHANT_ID]: CANARY.EMARSYS_SALES_TOKEN });
    const dd = new DotdigitalEmulator(CANARY.DOTDIGITAL_API_USER, CANARY.DOTDIGITAL_API_PASSWORD, 'r2');
    await Promise.all([domo.start(), emarsys.start(), dd.start()]);
    const github = new FakeGitHub();
    try {
      dd.dataFields.set('FIRSTNAME', { name: 'FIRSTNAME', type: 'String', visibility: 'Private', defaultValue: null });
      const root = scratchRepo({ 'connectors/sales.yaml': salesJob(), 'connectors/loyalty.yaml': contactsJob() });
      execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: root });
      domo.addDataSet({ id: 'ds-sales-1', name: 'sales', columns: COLUMNS, rows: lines(20) });
      domo.addDataSet({ id: 'ds-contacts', name: 'contacts', columns: CONTACT_COLUMNS, rows: contacts(10) });
      const event = join(root, 'event.json');
      writeFileSync(event, JSON.stringify({ pull_request: { number: 9 } }));
      const local = { WRITEBACK_SECRETS: JSON.stringify(CANARY), DOMO_API_URL: domo.url, EMARSYS_SALES_API_URL: emarsys.url, DOTDIGITAL_API_URL: `${dd.url}/r2`, WRITEBACK_RETRY_BASE_MS: '5', WRITEBACK_HTTP_TIMEOUT_MS: '1000' };
      const actions = { ...local, GITHUB_ACTIONS: 'true', GITHUB_TOKEN: CANARY.GITHUB_TOKEN, GITHUB_REPOSITORY: 'acme/writeback-jobs', GITHUB_REF_NAME: 'main', GITHUB_EVENT_PATH: event, GITHUB_STEP_SUMMARY: join(root, 'summary.md') };

      const outputs: string[] = [];
      const run = async (args: string[], env: NodeJS.ProcessEnv) => {
        const { stdout, stderr } = await runCli(args, { root, env });
        outputs.push(`$ ${args.join(' ')}\n${stdout}\n${stderr}`);
      };
      await run(['validate'], actions);
      await run(['validate', '--json'], local);
      await run(['plan', '--markdown', '--comment'], actions);
      await run(['plan', '--json'], local);
      await run(['reconcile', '--force'], actions); // success
      // Failure paths, with vendors echoing the credentials back in their error bodies.
      domo.appendRows('ds-sales-1', lines(5, Date.parse('2026-11-21T08:00:00Z'), 500));
      emarsys.inject({ kind: 'status', status: 400, body: `Token ${CANARY.EMARSYS_SALES_TOKEN} is not valid for merchant ${CANARY.EMARSYS_MERCHANT_ID}` });
      dd.inject({ kind: 'status', status: 500 }, 3);
      await run(['reconcile', '--force'], actions);
      await run(['reconcile', '--force'], { ...local, WRITEBACK_SECRETS: JSON.stringify({ ...CANARY, DOMO_CLIENT_SECRET: 'wrong-secret-value' }) });
      await run(['status'], local);
      await run(['status', '--json'], local);

      const found = [
        ...outputs.flatMap((o, i) => leaks(`output ${i}`, o)),
        ...filesUnder(root).flatMap((f) => leaks(f, readFileSync(f, 'utf8'))),
        ...[...github.blobs.values()].flatMap((b) => leaks('committed file', b.toString('utf8'))),
        ...[...github.commits.values()].flatMap((c) => leaks('commit message', c.message)),
        ...github.issues.flatMap((i) => leaks('issue', [i.title, i.body, ...i.comments].join('\n'))),
        ...[...github.pullComments.values()].flat().flatMap((c) => leaks('pull request comment', c)),
      ];
      expect(found).toEqual([]);
      // The checks saw real traffic: commits, an alert issue, a plan comment, masks for every secret used.
      expect(github.commitsOn('main').length).toBeGreaterThanOrEqual(2);
      expect(github.issues.length).toBeGreaterThanOrEqual(1);
      expect(github.pullComments.get(9)).toHaveLength(1);
      const masks = outputs.join('\n').split('\n').filter((l) => l.startsWith('::add-mask::'));
      expect(masks).toEqual(expect.arrayContaining(Object.entries(CANARY).filter(([k]) => k !== 'GITHUB_TOKEN').map(([, v]) => `::add-mask::${v}`)));
      expect(github.unexpected).toEqual([]);
    } finally {
      await Promise.all([domo.stop(), emarsys.stop(), dd.stop()]);
    }
  });

  it('the demo prints none of its own credentials', async () => {
    const { stdout, stderr, code } = await runCli(['demo'], { root: scratchRepo() });
    expect(code).toBe(0);
    for (const secret of ['demo-client-secret', 'demo-sales-token', 'demo-api-password']) expect(`${stdout}\n${stderr}`).not.toContain(secret);
  });
});
