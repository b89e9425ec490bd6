/**
 * A reconcile process SIGKILLed while Emarsys takes its upload, with state on a state branch and main
 * protected: the runner's machine is gone, and the next run starts from a fresh clone. It must be held
 * (the upload may have been taken), never send the lines again. The fake GitHub is served over HTTP here,
 * since the runner is another process.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../helpers/fake-github.ts';
import { actionsEnv } from '../helpers/fixtures.ts';
import { scratchRepo } from '../helpers/repo.ts';
import { COLUMNS, DATASET_ID, lines, salesJob, useWorld } from '../helpers/world.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'writeback.js');

describe('a killed run with state on a state branch', () => {
  const world = useWorld(salesJob());
  let github: FakeGitHub;
  let api: string;
  beforeEach(async () => {
    github = new FakeGitHub('https://unused.invalid');
    github.protectedBranches.add('main');
    api = await github.listen();
  });
  afterEach(async () => {
    expect(github.unexpected).toEqual([]);
    await github.close();
  });

  const runner = (root: string, killWhen?: () => boolean) =>
    new Promise<{ code: number | null; killed: boolean; stdout: string }>((resolve) => {
      execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: root });
      const env = actionsEnv(world.env, {
        PATH: process.env.PATH,
        GITHUB_TOKEN: 'ghs_canarytoken123',
        GITHUB_API_URL: api,
        GITHUB_REPOSITORY: 'acme/writeback-jobs',
        GITHUB_REF_NAME: 'main',
        WRITEBACK_STATE_BRANCH: 'writeback-state',
      });
      const child = spawn(process.execPath, [BIN, 'reconcile', '--root', root], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      const poll = killWhen && setInterval(() => killWhen() && child.kill('SIGKILL'), 5);
      child.on('exit', (code, signal) => {
        if (poll) clearInterval(poll);
        resolve({ code, killed: signal === 'SIGKILL', stdout });
      });
    });

  it('the next run on a fresh clone is held and sends nothing; main never moves', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(25) });
    world.emarsys.uploadDelayMs = 1_500; // the upload is in Emarsys' hands for 1.5 s: the kill lands then
    const main = github.refs.get('main');
    const killed = await runner(scratchRepo({ 'connectors/sales.yaml': salesJob() }), () => world.emarsys.bytesReceived > 0);
    expect(killed.killed).toBe(true);
    expect(github.refs.has('writeback-state')).toBe(false);
    expect(github.refs.has('writeback-intent/sales')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_600)); // Emarsys takes the upload after all
    expect(world.emarsys.accepted).toHaveLength(25);

    world.emarsys.uploadDelayMs = 0;
    const next = await runner(scratchRepo({ 'connectors/sales.yaml': salesJob() }));
    expect(next.stdout).toContain('sales: restored the state of an earlier run that ended before its commit (from writeback-intent/sales)');
    expect(next.stdout).toContain('sales: held');
    expect(world.emarsys.uploads).toBe(1);
    expect(JSON.parse(github.files('writeback-state').get('state/sales.json')!).held).toBeDefined();
    expect(github.refs.get('main')).toBe(main);
    expect(github.issues.map((i) => i.title)).toEqual(['writeback: sales is held']);
  }, 60_000);
});
