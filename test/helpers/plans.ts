/** Job plans for tests of what the plan means and how it is shown: a due, online job with nothing to do. */
import type { JobPlan } from '../../src/plan/job-plan.ts';

export const jobPlan = (over: Partial<JobPlan> = {}): JobPlan => ({
  name: 'sales',
  kind: 'EmarsysSalesWriteback',
  unit: { one: 'line', many: 'lines' },
  due: true,
  suspended: false,
  mode: 'online',
  checked: true,
  columns: [],
  actions: [],
  details: [],
  warnings: [],
  ...over,
});
