import { describe, expect, it } from 'vitest';
import { jobPlan as plan } from '../helpers/plans.ts';
import type { JobPlan } from '../../src/plan/job-plan.ts';
import { PLAN_MARKER, planJson, renderPlanMarkdown, renderPlanText, summaryLine } from '../../src/plan/render.ts';
import { COMMENT_LIMIT, fitComment } from '../../src/github/pr-comment.ts';

const rows = (toSend: number) => ({ read: toSend + 2, toSend, rejected: 1, skipped: 1 });
const CONTACTS = { kind: 'DotdigitalContactsWriteback', unit: { one: 'contact', many: 'contacts' } };
/** Planned without credentials: the planner sets these. */
const offline = (missingSecrets: string[], over: Partial<JobPlan> = {}): Partial<JobPlan> => ({
  mode: 'offline',
  checked: false,
  missingSecrets,
  offlineReason: `${missingSecrets.join(', ')} ${missingSecrets.length === 1 ? 'is' : 'are'} not set: planned from the definition only, nothing was read from Domo or the destination`,
  ...over,
});

const headline = (p: JobPlan) => renderPlanText([p]).split('\n')[0]!.replace(`${p.name} (${p.kind}): `, '');

describe('plan headlines', () => {
  it.each<[string, Partial<JobPlan>, string]>([
    ['an error, whatever else holds', { error: 'boom', suspended: true, held: 'unknown upload', rows: rows(3) }, 'error'],
    ['a suspended job', { suspended: true, held: 'unknown upload', rows: rows(3) }, 'suspended, nothing to do'],
    ['a held job', { held: 'unknown upload', rows: rows(3) }, 'held, nothing will be sent until released'],
    ['a plan without credentials', offline(['DOMO_CLIENT_ID']), 'not checked: no credentials'],
    ['a plan without credentials, for a new job', offline(['DOMO_CLIENT_ID'], { definition: 'new' }), 'not checked: no credentials; new job, never ran'],
    ['a plan without credentials, definition changed', offline(['DOMO_CLIENT_ID'], { definition: 'changed' }), 'not checked: no credentials; definition changed since the last run'],
    ['a plan without credentials, definition the same', offline(['DOMO_CLIENT_ID'], { definition: 'same' }), 'not checked: no credentials'],
    ['a plan without credentials, not due', offline(['DOMO_CLIENT_ID'], { due: false, next: '2026-11-23T05:17:00.000Z' }), 'not checked: no credentials; not due (next 2026-11-23T05:17:00.000Z)'],
    ['a plan without credentials, suspended', offline(['DOMO_CLIENT_ID'], { suspended: true }), 'not checked: no credentials; suspended'],
    ['a plan without credentials, held', offline(['DOMO_CLIENT_ID'], { held: 'unknown upload' }), 'not checked: no credentials; held until released'],
    ['a plan without credentials that failed anyway', offline(['DOMO_CLIENT_ID'], { error: 'state unreadable' }), 'error'],
    ['a job not due', { due: false, next: '2026-11-23T05:17:00.000Z', rows: rows(1234) }, 'not due (next 2026-11-23T05:17:00.000Z); 1,234 waiting'],
    ['a job never due again', { due: false }, 'not due (next never); 0 waiting'],
    ['nothing to send', { rows: rows(0) }, 'up to date, nothing to send'],
    ['one line', { rows: rows(1) }, '1 line to send'],
    ['many lines', { rows: rows(1234567) }, '1,234,567 lines to send'],
    ['one contact', { ...CONTACTS, rows: rows(1) }, '1 contact to send'],
    ['two contacts', { ...CONTACTS, rows: rows(2) }, '2 contacts to send'],
    ['one action only', { actions: ['create data field TIER (String)'] }, '1 other change'],
    ['two actions only', { actions: ['a', 'b'] }, '2 other changes'],
    ['lines and an action', { rows: rows(3), actions: ['a'] }, '3 lines to send, 1 other change'],
    ['the destination summarising its actions', { ...CONTACTS, rows: rows(3), actions: ['a', 'b'], actionsSummary: 'create 2 data fields' }, '3 contacts to send, create 2 data fields'],
    ['a summary with nothing to send', { actions: ['a'], actionsSummary: 'create 1 data field' }, 'create 1 data field'],
  ])('%s', (_, over, expected) => expect(headline(plan(over))).toBe(expected));
});

describe('summaryLine', () => {
  it('counts jobs with changes, with errors and unchanged, singular for one job', () => {
    expect(summaryLine([plan({ rows: rows(1) })])).toBe('1 job: 1 with changes, 0 with errors, 0 unchanged');
    expect(summaryLine([])).toBe('0 jobs: 0 with changes, 0 with errors, 0 unchanged');
  });

  it('suspended, held and not-due jobs with rows waiting are unchanged: nothing would be sent now', () => {
    const plans = [
      plan({ rows: rows(5) }),
      plan({ error: 'boom', rows: rows(5) }),
      plan({ suspended: true, rows: rows(5) }),
      plan({ held: 'unknown upload', rows: rows(5) }),
      plan({ due: false, rows: rows(5) }),
      plan({ actions: ['create data field TIER (String)'] }),
    ];
    expect(summaryLine(plans)).toBe('6 jobs: 2 with changes, 1 with errors, 3 unchanged');
  });
});

/** A plan with every part filled in. */
const full = (over: Partial<JobPlan> = {}): JobPlan =>
  plan({
    dataset: { id: 'ds-1', name: 'Web sales', rows: 12 },
    columns: [
      { field: 'order', column: 'order_id', domoType: 'STRING', verdict: 'ok' },
      { field: 'price', column: 'line_total', domoType: 'STRING', verdict: 'warning', note: 'text: every value must be a number, others are rejected' },
      { field: 'item', column: 'sku', verdict: 'missing', note: 'not in the DataSet' },
    ],
    rows: { read: 12, toSend: 10, rejected: 1, skipped: 1 },
    uploads: 1,
    details: ['file columns: order,price,item'],
    actions: ['prune 2 ledger segments'],
    rejects: [{ row: 4, field: 'price', column: 'line_total', reason: '"abc" is not a number' }],
    sample: ['order,price,item', 'O-1,10.00,SKU-1', '', 'O-2,5.00,SKU-2'],
    warnings: ['delivery.lookback reaches back before the ledger'],
    ...over,
  });

describe('renderPlanText', () => {
  it('writes every part of a plan in a fixed order, indented under its headline', () => {
    expect(renderPlanText([full()])).toBe(
      [
        'sales (EmarsysSalesWriteback): 10 lines to send, 1 other change',
        '  DataSet "Web sales" (ds-1), 12 rows',
        '  ok  order <- order_id (STRING)',
        '  warning  price <- line_total (STRING): text: every value must be a number, others are rejected',
        '  missing  item <- sku: not in the DataSet',
        '  rows: 12 read, 10 to send in 1 upload(s), 1 rejected, 1 skipped',
        '  file columns: order,price,item',
        '  prune 2 ledger segments',
        '  rejected row 4: price (line_total) "abc" is not a number',
        '  sample:',
        '    order,price,item',
        '    O-1,10.00,SKU-1',
        '    O-2,5.00,SKU-2',
        '  warning: delivery.lookback reaches back before the ledger',
        '1 job: 1 with changes, 0 with errors, 0 unchanged',
      ].join('\n'),
    );
  });

  it('says why a plan is not checked or held, and ends a failed plan with its error', () => {
    const text = renderPlanText([
      plan({ name: 'a', ...offline(['DOMO_CLIENT_SECRET']) }),
      plan({ name: 'b', held: 'the outcome of upload 1 of run r-1 is unknown' }),
      plan({ name: 'c', error: 'columns that cannot work: sku' }),
    ]);
    expect(text).toBe(
      [
        'a (EmarsysSalesWriteback): not checked: no credentials',
        '  DOMO_CLIENT_SECRET is not set: planned from the definition only, nothing was read from Domo or the destination',
        'b (EmarsysSalesWriteback): held, nothing will be sent until released',
        '  held: the outcome of upload 1 of run r-1 is unknown',
        'c (EmarsysSalesWriteback): error',
        '  error: columns that cannot work: sku',
        'Not checked: no credentials. Missing secrets: DOMO_CLIENT_SECRET.',
        'Set them as repository secrets (Settings > Secrets and variables > Actions), or as environment variables to plan on your own machine. A pull request from a fork gets no secrets, so its plan stays unchecked until someone with access plans it.',
        '3 jobs: 0 with changes, 1 with errors, 1 unchanged, 1 not checked (no credentials)',
      ].join('\n'),
    );
  });

  it('lists every missing secret of every job once, in one place before the summary', () => {
    const text = renderPlanText([
      plan({ name: 'a', ...offline(['DOMO_CLIENT_ID', 'DOMO_CLIENT_SECRET', 'EMARSYS_MERCHANT_ID']) }),
      plan({ name: 'b', ...CONTACTS, ...offline(['DOMO_CLIENT_ID', 'DOTDIGITAL_API_USER']) }),
      plan({ name: 'c', rows: rows(0) }),
    ]);
    const lines = text.split('\n');
    expect(lines.filter((l) => l.startsWith('Not checked'))).toEqual(['Not checked: no credentials. Missing secrets: DOMO_CLIENT_ID, DOMO_CLIENT_SECRET, EMARSYS_MERCHANT_ID, DOTDIGITAL_API_USER.']);
    expect(lines.at(-1)).toBe('3 jobs: 0 with changes, 0 with errors, 1 unchanged, 2 not checked (no credentials)');
    // Nothing a plan without credentials says reads as if nothing would be sent.
    expect(lines.filter((l) => /^[ab] /.test(l))).toEqual(['a (EmarsysSalesWriteback): not checked: no credentials', 'b (DotdigitalContactsWriteback): not checked: no credentials']);
  });

  it('has no missing-secrets section when every plan was checked', () => {
    expect(renderPlanText([plan({ rows: rows(1) })])).not.toContain('Not checked');
  });

  it('says when row policies hide rows from this client', () => {
    expect(renderPlanText([plan({ dataset: { id: 'ds-1', name: 'Web sales', rows: 1200, visibleRows: 800 } })])).toContain(
      '  DataSet "Web sales" (ds-1), 1,200 rows, 800 of them visible to this client (row policies apply)',
    );
  });

  it('a DataSet of one row reads "1 row"', () => {
    expect(renderPlanText([plan({ dataset: { id: 'ds-1', name: 'Tiny', rows: 1 } })])).toContain('  DataSet "Tiny" (ds-1), 1 row\n');
  });
});

describe('renderPlanMarkdown', () => {
  const md = (p: JobPlan) => renderPlanMarkdown([p]);

  it('starts with the marker the comment is found by, a title and the summary', () => {
    expect(md(plan()).split('\n').slice(0, 5)).toEqual([PLAN_MARKER, '## Writeback plan', '', '1 job: 0 with changes, 0 with errors, 1 unchanged', '']);
  });

  it('renders every part of a plan', () => {
    const out = md(full());
    expect(out).toContain(
      [
        '### sales: 10 lines to send, 1 other change',
        '',
        'DataSet "Web sales" (`ds-1`), 12 rows.',
        '',
        '| field | column | Domo type | check |',
        '|---|---|---|---|',
        '| order | order\\_id | STRING | ok |',
        '| price | line\\_total | STRING | warning: text: every value must be a number, others are rejected |',
        '| item | sku | - | missing: not in the DataSet |',
        '',
        'Rows: 12 read, **10 to send** in 1 upload(s), 1 rejected, 1 skipped.',
        '',
        'file columns: order,price,item',
        '',
        '- prune 2 ledger segments',
        '',
        '| rejected row | field | column | reason |',
        '|---:|---|---|---|',
        '| 4 | price | line\\_total | "abc" is not a number |',
        '',
        '<details><summary>Sample of the file that would be sent</summary>',
        '',
        '```csv',
        'order,price,item',
        'O-1,10.00,SKU-1',
        'O-2,5.00,SKU-2',
        '```',
        '',
        '</details>',
        '',
        '- Warning: delivery.lookback reaches back before the ledger',
        '',
      ].join('\n'),
    );
  });

  it('shows offline reasons and holds as quotes, and an error in bold before the table', () => {
    expect(md(plan(offline(['DOMO_CLIENT_SECRET'])))).toContain(
      '### sales: not checked: no credentials\n\n> DOMO\\_CLIENT\\_SECRET is not set: planned from the definition only, nothing was read from Domo or the destination\n\n| field |',
    );
    expect(md(plan({ held: 'upload 1 of run r-1 is unknown' }))).toContain('\n> Held: upload 1 of run r-1 is unknown\n');
    expect(md(plan({ error: 'columns that cannot work: sku' }))).toContain('### sales: error\n\n**Error:** columns that cannot work: sku\n\n| field |');
  });

  it('says under the summary, as a warning, that the plan is not checked and which secrets are missing', () => {
    const out = renderPlanMarkdown([plan({ name: 'a', ...offline(['DOMO_CLIENT_ID', 'EMARSYS_SALES_TOKEN'], { definition: 'changed' }) }), plan({ name: 'b', ...offline(['DOMO_CLIENT_ID']) })]);
    expect(out.split('\n').slice(0, 9)).toEqual([
      PLAN_MARKER,
      '## Writeback plan',
      '',
      '2 jobs: 0 with changes, 0 with errors, 0 unchanged, 2 not checked (no credentials)',
      '',
      '> [!WARNING]',
      '> **Not checked: no credentials.** Missing secrets: `DOMO_CLIENT_ID`, `EMARSYS_SALES_TOKEN`.',
      '> Set them as repository secrets (Settings > Secrets and variables > Actions), or as environment variables to plan on your own machine. A pull request from a fork gets no secrets, so its plan stays unchecked until someone with access plans it.',
      '',
    ]);
    expect(out.match(/^### .*$/gm)).toEqual(['### a: not checked: no credentials; definition changed since the last run', '### b: not checked: no credentials']);
  });

  it('escapes names and values, so a job or column cannot break the table or inject HTML', () => {
    const out = md(
      plan({
        name: 'web|sales*',
        dataset: { id: 'ds-1', name: '<b>Sales</b>', rows: 3 },
        columns: [{ field: 's_note', column: 'a|b <img src=x>', domoType: 'STRING', verdict: 'ok' }],
        rejects: [{ row: 2, field: 's_note', column: 'a|b', reason: '"x|y" is *bad*' }],
        warnings: ['see [here](https://evil.example)'],
      }),
    );
    expect(out).toContain('### web\\|sales\\*: up to date, nothing to send');
    expect(out).toContain('DataSet "\\<b\\>Sales\\</b\\>" (`ds-1`), 3 rows.');
    expect(out).toContain('| s\\_note | a\\|b \\<img src=x\\> | STRING | ok |');
    expect(out).toContain('| 2 | s\\_note | a\\|b | "x\\|y" is \\*bad\\* |');
    expect(out).toContain('- Warning: see \\[here\\](https://evil.example)');
    expect(out).not.toMatch(/(^|[^\\])<(img|b)/m);
  });

  it('keeps a line break in a message from ending the heading or table row', () => {
    const out = md(plan({ name: 'sales', error: 'first\n### forged heading', rejects: [{ row: 1, field: 'order', column: 'o', reason: 'a\nb' }] }));
    expect(out).toContain('**Error:** first ### forged heading\n');
    expect(out).toContain('| 1 | order | o | a b |');
    expect(out).not.toMatch(/^### forged/m);
  });

  it('neutralises formula-looking text for anyone pasting the table into a spreadsheet', () => {
    expect(md(plan({ columns: [{ field: 'order', column: '=HYPERLINK("x")', verdict: 'unchecked' }] }))).toContain("| order | '=HYPERLINK(\"x\") | - | unchecked |");
  });

  it('leaves the sample as the file holds it: data inside the fence is not escaped', () => {
    const out = md(plan({ sample: ['s_note,item', '"a|b *c* <i>",SKU_1'] }));
    expect(out).toContain('```csv\ns_note,item\n"a|b *c* <i>",SKU_1\n```');
  });

  it('a ``` in the data cannot close the fence and let the rest render as Markdown', () => {
    const out = md(plan({ sample: ['s_note', '```', '````<script>', 'x```y'] }));
    expect(out).toContain('```csv\ns_note\n`\u200b``\n`\u200b```<script>\nx`\u200b``y\n```\n');
    // Only the opening and closing lines are fences.
    expect(out.match(/^ {0,3}```/gm)).toEqual(['```', '```']);
  });

  it('has no sample block when there is no sample, and no action or warning lists when there are none', () => {
    const out = md(plan({ rows: rows(0), sample: [] }));
    expect(out).not.toContain('<details>');
    expect(out).not.toMatch(/^- /m);
  });

  it('renders several jobs one after the other under one summary', () => {
    const out = renderPlanMarkdown([plan({ name: 'a', rows: rows(1) }), plan({ name: 'b', ...CONTACTS, rows: rows(2) })]);
    expect(out.match(/^### .*$/gm)).toEqual(['### a: 1 line to send', '### b: 2 contacts to send']);
    expect(out).toContain('\n2 jobs: 2 with changes, 0 with errors, 0 unchanged\n');
  });
});

describe('the plan as a pull-request comment', () => {
  it('a plan that fits is posted as it is', () => {
    const body = renderPlanMarkdown([full()]);
    expect(fitComment(body)).toBe(body);
  });

  it('a plan too long for GitHub is cut, keeping the marker the next push finds it by', () => {
    const many = Array.from({ length: 400 }, (_, i) => full({ name: `job-${i}` }));
    const body = renderPlanMarkdown(many);
    expect(body.length).toBeGreaterThan(COMMENT_LIMIT);
    const fitted = fitComment(body);
    expect(fitted.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(fitted.startsWith(`${PLAN_MARKER}\n## Writeback plan\n\n400 jobs: 400 with changes`)).toBe(true);
    expect(fitted.endsWith('\n\n_The plan was cut to fit a GitHub comment; run `npx writeback plan` or see the job summary for all of it._\n')).toBe(true);
  });

  it('the cut stays within the limit asked for and keeps whole lines', () => {
    expect(fitComment('x'.repeat(500), 200).length).toBeLessThanOrEqual(200);
    const body = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const kept = fitComment(body, 300).split('\n\n_The plan was cut')[0]!;
    expect(body.startsWith(`${kept}\n`)).toBe(true);
  });

  it('never leaves a code fence open, wherever the cut falls (inside an opening fence line too)', () => {
    const body = `${'x'.repeat(100)}\n\`\`\`csv\n${'a,b\n'.repeat(50)}\`\`\`\n`;
    const note = fitComment('y'.repeat(10_000), 1000).slice(-200).replace(/^y+/, '');
    for (let k = 0; k < 40; k++) {
      const fitted = fitComment(body, 101 + k + note.length + 4);
      expect(fitted.length).toBeLessThanOrEqual(101 + k + note.length + 4);
      expect((fitted.match(/^```/gm) ?? []).length % 2, `cut ${k}: ${JSON.stringify(fitted)}`).toBe(0);
      expect(fitted.endsWith(note)).toBe(true);
    }
  });
});
