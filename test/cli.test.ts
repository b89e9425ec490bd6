/**
 * Command-line conventions: --version and help, exit 2 for a wrong command line (1 stays "the work failed"),
 * job names as words, clear errors for a missing repository, quiet closed pipes, status --check.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { salesJob } from './helpers/fixtures.ts';
import { runCli, scratchRepo } from './helpers/repo.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'writeback.js');
const VERSION = (JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
const job = (name: string) => salesJob().replace('name: sales', `name: ${name}`);
const twoJobs = () => scratchRepo({ 'connectors/alpha.yaml': job('alpha'), 'connectors/beta.yaml': job('beta') });

describe('version and help', () => {
  it('--version and -v print the package version', async () => {
    for (const flag of ['--version', '-v']) {
      const run = await runCli([flag], { root: scratchRepo() });
      expect(run).toMatchObject({ code: 0, stdout: VERSION });
    }
  });

  it('help lists every command; help COMMAND and COMMAND --help show that command’s own options', async () => {
    const root = scratchRepo();
    const all = await runCli(['help'], { root });
    expect(all.code).toBe(0);
    for (const command of ['init', 'validate', 'plan', 'reconcile', 'status', 'due', 'dashboard', 'release', 'rename', 'baseline', 'emulate', 'demo']) {
      expect(all.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    for (const args of [['help', 'plan'], ['plan', '--help']]) {
      const plan = await runCli(args, { root });
      expect(plan.code).toBe(0);
      expect(plan.stdout).toContain('Usage: writeback plan [options] [name...]');
      expect(plan.stdout).toContain('--detailed-exitcode');
      expect(plan.stdout).not.toContain('--dry-run');
    }
  });

  it('writeback alone shows the help as an error (exit 2)', async () => {
    const run = await runCli([], { root: scratchRepo() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Usage: writeback');
  });
});

describe('a wrong command line exits 2 and says what is wrong', () => {
  it.each([
    [['validate', '--forse'], "unknown option '--forse'"],
    [['status', '--dry-run'], "unknown option '--dry-run'"], // an option of another command
    [['status', 'extra'], 'too many arguments'],
    [['dashboard', 'now'], 'too many arguments'],
    [['rename', 'old'], "missing required argument 'new'"],
    [['deploy'], "unknown command 'deploy'"],
    [['help', 'deploy'], "unknown command 'deploy'"],
    [['plan', '--json', '--markdown'], 'cannot be used with'],
    [['release', 'sales', '--delivered', '--not-delivered'], 'cannot be used with'],
  ])('%j', async (args, message) => {
    const run = await runCli(args, { root: twoJobs() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('--help');
  });

  it('an unknown job name is an error naming the jobs there are, for reconcile, plan and due', async () => {
    const root = twoJobs();
    for (const args of [['reconcile', 'gamma'], ['plan', 'gamma'], ['due', '--only', 'gamma']]) {
      const run = await runCli(args, { root });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain('no job named gamma in connectors/ (the jobs are: alpha, beta)');
    }
    // With --detailed-exitcode, 2 means "changes pending": a wrong command line is 1 there.
    expect((await runCli(['plan', 'gamma', '--detailed-exitcode'], { root })).code).toBe(1);
  });

  it('release of an unknown job is an error', async () => {
    const run = await runCli(['release', 'gamma', '--delivered'], { root: twoJobs() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('there is no job named gamma');
  });
});

describe('job names as words', () => {
  it('reconcile NAME runs only that job, as --only NAME does', async () => {
    const root = twoJobs();
    for (const args of [['reconcile', 'alpha', '--force'], ['reconcile', '--only', 'alpha', '--force']]) {
      const run = await runCli(args, { root }); // no secrets: the job fails before any data moves
      expect(run.stdout).toMatch(/^alpha: failed/m);
      expect(run.stdout).not.toMatch(/^beta:/m);
    }
  });

  it('due NAME lists only that job', async () => {
    const run = await runCli(['due', 'beta', '--force', '--json'], { root: twoJobs() });
    expect(run).toMatchObject({ code: 0, stdout: '["beta"]' });
  });
});

describe('the repository must be there', () => {
  it('a missing connectors/ is a clear error, for every command that reads it, and dashboard creates nothing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'writeback-empty-'));
    for (const args of [['status'], ['validate'], ['plan'], ['reconcile'], ['due'], ['dashboard']]) {
      const run = await runCli(args, { root });
      expect(run.code, args[0]).toBe(2);
      expect(run.stderr).toContain(`${join(root, 'connectors')} does not exist`);
      expect(run.stderr).toContain('npx writeback init');
    }
    expect(existsSync(join(root, 'reports'))).toBe(false);
    expect(existsSync(join(root, 'state'))).toBe(false);
  });

  it('a --root that does not exist is a clear error', async () => {
    const root = join(tmpdir(), 'writeback-no-such-dir');
    const run = await runCli(['status', '--root', root], { root: scratchRepo() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${root} is not a directory`);
  });
});

describe('status --check (for monitoring)', () => {
  it('exits 0 while every job is fine, 1 once a job failed or a definition is invalid', async () => {
    const root = twoJobs();
    expect((await runCli(['status', '--check'], { root })).code).toBe(0);
    await runCli(['reconcile', 'alpha', '--force'], { root }); // fails: its secrets are not set
    const failed = await runCli(['status', '--check'], { root });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('needs attention: alpha');
    expect((await runCli(['status'], { root })).code).toBe(0);

    const invalid = scratchRepo({ 'connectors/broken.yaml': 'kind: Nothing\n' });
    expect((await runCli(['status', '--check'], { root: invalid })).code).toBe(1);
  });
});

describe('a closed pipe', () => {
  it('ends the output quietly: no EPIPE error, the command’s own exit code', () => {
    const root = scratchRepo();
    mkdirSync(join(root, 'connectors'), { recursive: true });
    // 600 broken definitions print far more than a pipe holds, so writing goes on after head exits.
    for (let i = 0; i < 600; i++) writeFileSync(join(root, 'connectors', `job-${i}.yaml`), 'apiVersion: writeback/v1\n');
    const run = spawnSync('bash', ['-o', 'pipefail', '-c', `node ${JSON.stringify(BIN)} validate --root ${JSON.stringify(root)} | head -n 1`], { encoding: 'utf8' });
    expect(run.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(run.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(run.status).toBe(1); // validate's own answer: the definitions are invalid
  }, 30_000);
});

describe('more command lines that are wrong (exit 2)', () => {
  it('release without saying what arrived, and baseline or rename of a job that is not there', async () => {
    const root = twoJobs();
    const release = await runCli(['release', 'alpha'], { root });
    expect(release.code).toBe(2);
    expect(release.stderr).toContain('--delivered | --not-delivered');
    expect((await runCli(['baseline', 'gamma'], { root })).code).toBe(2);
    expect((await runCli(['rename', 'gamma', 'delta'], { root })).code).toBe(2);
    // --detailed-exitcode changes the usage exit only for plan.
    expect((await runCli(['validate', '--detailed-exitcode'], { root })).code).toBe(2);
  });

  it('suspended jobs are not due, so scheduled runs start nothing for them; named, they report themselves suspended', async () => {
    const root = scratchRepo({ 'connectors/alpha.yaml': job('alpha').replace('spec:\n', 'spec:\n  suspend: true\n') });
    expect(await runCli(['due', '--json', '--force'], { root })).toMatchObject({ code: 0, stdout: '[]' });
    expect((await runCli(['due'], { root })).stdout).toBe('alpha: suspended (spec.suspend: true); not run');
    const named = await runCli(['reconcile', 'alpha'], { root });
    expect(named.code).toBe(0);
    expect(named.stdout).toContain('alpha: suspended');
  });
});
