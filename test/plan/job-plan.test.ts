/** What counts as a change, what could not be checked, and the exit codes the plan command takes from them. */
import { describe, expect, it } from 'vitest';
import { jobPlan as plan } from '../helpers/plans.ts';
import { hasChanges, missingSecrets, planExitCode, unchecked, type JobPlan } from '../../src/plan/job-plan.ts';
import { planJson } from '../../src/plan/render.ts';

const rows = (toSend: number) => ({ read: toSend, toSend, rejected: 0, skipped: 0 });
const offline = (over: Partial<JobPlan> = {}) => plan({ mode: 'offline', checked: false, missingSecrets: ['DOMO_CLIENT_ID'], ...over });
const problem = { file: 'connectors/x.yaml', line: 1, column: 1, message: 'bad' };

describe('a plan without credentials', () => {
  it('is unchecked, unless it failed anyway', () => {
    expect(unchecked(offline())).toBe(true);
    expect(unchecked(offline({ error: 'state unreadable' }))).toBe(false);
    expect(unchecked(plan({ rows: rows(0) }))).toBe(false);
  });

  it('has changes when its definition is new or changed, and a due job would run it', () => {
    expect(hasChanges(offline({ definition: 'new' }))).toBe(true);
    expect(hasChanges(offline({ definition: 'changed' }))).toBe(true);
    expect(hasChanges(offline({ definition: 'same' }))).toBe(false);
    expect(hasChanges(offline())).toBe(false);
    expect(hasChanges(offline({ definition: 'changed', due: false }))).toBe(false);
    expect(hasChanges(offline({ definition: 'changed', suspended: true }))).toBe(false);
    expect(hasChanges(offline({ definition: 'changed', held: 'unknown upload' }))).toBe(false);
  });

  it('a checked plan has changes as before: rows to send or actions, when due and free to run', () => {
    expect(hasChanges(plan({ rows: rows(1) }))).toBe(true);
    expect(hasChanges(plan({ actions: ['create data field TIER (String)'] }))).toBe(true);
    expect(hasChanges(plan({ rows: rows(0), definition: 'changed' }))).toBe(false); // checked: the rows say
    expect(hasChanges(plan({ rows: rows(1), due: false }))).toBe(false);
  });

  it('missing secrets: every unchecked job\'s, each once, in the order the jobs name them', () => {
    const plans = [offline({ missingSecrets: ['B', 'A'] }), plan({ missingSecrets: ['IGNORED'] }), offline({ missingSecrets: ['A', 'C'] })];
    expect(missingSecrets(plans)).toEqual(['B', 'A', 'C']);
    expect(missingSecrets([plan()])).toEqual([]);
  });
});

describe('planExitCode', () => {
  it('without --detailed-exitcode: 1 on a problem or an error, else 0', () => {
    expect(planExitCode({ problems: [], plans: [plan({ rows: rows(3) }), offline()] })).toBe(0);
    expect(planExitCode({ problems: [problem], plans: [] })).toBe(1);
    expect(planExitCode({ problems: [], plans: [plan({ error: 'boom' })] })).toBe(1);
  });

  it('with it: 2 for changes, 0 only when every plan was checked and nothing would change', () => {
    expect(planExitCode({ problems: [], plans: [plan({ rows: rows(0) })] }, true)).toBe(0);
    expect(planExitCode({ problems: [], plans: [plan({ rows: rows(3) })] }, true)).toBe(2);
    expect(planExitCode({ problems: [], plans: [plan({ rows: rows(0) }), offline({ definition: 'changed' })] }, true)).toBe(2);
    // Never "no changes" when it could not check, even for a definition that is the same.
    expect(planExitCode({ problems: [], plans: [plan({ rows: rows(0) }), offline({ definition: 'same' })] }, true)).toBe(2);
    expect(planExitCode({ problems: [], plans: [offline({ error: 'boom' })] }, true)).toBe(1);
  });
});

describe('planJson', () => {
  it('says at the top whether the plan was checked, which secrets are missing, and the summary', () => {
    const json = JSON.parse(planJson({ problems: [], plans: [offline({ missingSecrets: ['DOMO_CLIENT_ID', 'DOMO_CLIENT_SECRET'], definition: 'new' }), plan({ name: 'b', rows: rows(2) })] }));
    expect(json).toMatchObject({
      checked: false,
      missingSecrets: ['DOMO_CLIENT_ID', 'DOMO_CLIENT_SECRET'],
      summary: { jobs: 2, changes: 1, errors: 0, notChecked: 1, exitCode: 2 },
      problems: [],
    });
    expect(json.plans[0]).toMatchObject({ name: 'sales', checked: false, missingSecrets: ['DOMO_CLIENT_ID', 'DOMO_CLIENT_SECRET'], definition: 'new' });
    expect(JSON.parse(planJson({ problems: [], plans: [plan({ rows: rows(0) })] }))).toMatchObject({ checked: true, missingSecrets: [], summary: { exitCode: 0 } });
  });
});
