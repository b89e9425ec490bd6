/** `writeback plan` output: text for terminals, Markdown for pull-request comments, JSON for scripts. */
import { count as n } from '../reports/count.ts';
import { escapeMarkdown } from '../reports/markdown.ts';
import { rejectedRowLabel } from '../reports/run-report.ts';
import type { Problem } from '../errors/index.ts';
import { hasChanges, missingSecrets, planExitCode, unchecked, type JobPlan } from './job-plan.ts';

export const PLAN_MARKER = '<!-- writeback-plan -->';

export const NOT_CHECKED = 'not checked: no credentials';

/** What to do about missing secrets, after their list (plain text that reads the same in Markdown). */
export const SECRETS_HINT =
  'Set them as repository secrets (Settings > Secrets and variables > Actions), or as environment variables to plan on your own machine. A pull request from a fork gets no secrets, so its plan stays unchecked until someone with access plans it.';

/** A plan that could not be checked says so first, never "unchanged"; then what is known without credentials. */
function uncheckedHeadline(plan: JobPlan): string {
  const known = [
    plan.suspended ? 'suspended' : '',
    plan.held ? 'held until released' : '',
    plan.definition === 'new' ? 'new job, never ran' : plan.definition === 'changed' ? 'definition changed since the last run' : '',
    plan.due ? '' : `not due (next ${plan.next ?? 'never'})`,
  ];
  return [NOT_CHECKED, ...known].filter(Boolean).join('; ');
}

function headline(plan: JobPlan): string {
  if (plan.error) return 'error';
  if (!plan.checked) return uncheckedHeadline(plan);
  if (plan.suspended) return 'suspended, nothing to do';
  if (plan.held) return 'held, nothing will be sent until released';
  const toSend = plan.rows?.toSend ?? 0;
  if (!plan.due) return `not due (next ${plan.next ?? 'never'}); ${n(toSend)} waiting`;
  if (!toSend && !plan.actions.length) return 'up to date, nothing to send';
  const actions = plan.actionsSummary ?? (plan.actions.length ? `${plan.actions.length} other change${plan.actions.length === 1 ? '' : 's'}` : '');
  return [toSend ? `${n(toSend)} ${toSend === 1 ? plan.unit.one : plan.unit.many} to send` : '', actions].filter(Boolean).join(', ');
}

function datasetRows(plan: JobPlan): string {
  const { rows = 0, visibleRows } = plan.dataset ?? {};
  const total = `${n(rows)} row${rows === 1 ? '' : 's'}`;
  return visibleRows === undefined ? total : `${total}, ${n(visibleRows)} of them visible to this client (row policies apply)`;
}

/** Jobs counted once each: with errors, not checked (no credentials), with changes, unchanged. */
export function summaryLine(plans: JobPlan[]): string {
  const errors = plans.filter((p) => p.error).length;
  const notChecked = plans.filter(unchecked).length;
  const changes = plans.filter((p) => !unchecked(p) && hasChanges(p)).length;
  const unchanged = plans.length - errors - notChecked - changes;
  return `${plans.length} job${plans.length === 1 ? '' : 's'}: ${changes} with changes, ${errors} with errors, ${unchanged} unchanged${notChecked ? `, ${notChecked} not checked (no credentials)` : ''}`;
}

/** Every missing secret at once, or nothing when the plans had all they needed. */
export function missingSecretsText(plans: JobPlan[]): string[] {
  const missing = missingSecrets(plans);
  if (!missing.length) return [];
  return [`Not checked: no credentials. Missing secrets: ${missing.join(', ')}.`, SECRETS_HINT];
}

function missingSecretsMarkdown(plans: JobPlan[]): string[] {
  const missing = missingSecrets(plans);
  if (!missing.length) return [];
  const names = missing.map((name) => `\`${name.replace(/`/g, "'")}\``).join(', ');
  return ['> [!WARNING]', `> **Not checked: no credentials.** Missing secrets: ${names}.`, `> ${SECRETS_HINT}`, ''];
}

/**
 * `plan --json`: the plans and problems, and at the top what a script needs first: whether every plan was
 * checked, the missing secrets, and the counts of the summary line.
 */
export function planJson(result: { problems: Problem[]; plans: JobPlan[] }): string {
  const { problems, plans } = result;
  const summary = {
    jobs: plans.length,
    changes: plans.filter((p) => !unchecked(p) && hasChanges(p)).length,
    errors: plans.filter((p) => p.error).length,
    notChecked: plans.filter(unchecked).length,
    /** What --detailed-exitcode exits with. */
    exitCode: planExitCode(result, true),
  };
  return JSON.stringify({ checked: !plans.some(unchecked), missingSecrets: missingSecrets(plans), summary, problems, plans }, null, 2);
}

export function renderPlanText(plans: JobPlan[]): string {
  const out: string[] = [];
  for (const plan of plans) {
    out.push(`${plan.name} (${plan.kind}): ${headline(plan)}`);
    if (plan.offlineReason) out.push(`  ${plan.offlineReason}`);
    if (plan.held) out.push(`  held: ${plan.held}`);
    if (plan.dataset?.name) out.push(`  DataSet "${plan.dataset.name}" (${plan.dataset.id}), ${datasetRows(plan)}`);
    if (plan.read) out.push(`  reads ${plan.read}`);
    for (const c of plan.columns) {
      out.push(`  ${c.verdict === 'ok' ? 'ok' : c.verdict.padEnd(2)}  ${c.field} <- ${c.column}${c.domoType ? ` (${c.domoType})` : ''}${c.note ? `: ${c.note}` : ''}`);
    }
    if (plan.rows) out.push(`  rows: ${n(plan.rows.read)} read, ${n(plan.rows.toSend)} to send in ${plan.uploads ?? 0} upload(s), ${n(plan.rows.rejected)} rejected, ${n(plan.rows.skipped)} skipped`);
    for (const line of plan.details) out.push(`  ${line}`);
    for (const action of plan.actions) out.push(`  ${action}`);
    for (const r of plan.rejects ?? []) out.push(`  rejected row ${rejectedRowLabel(r)}: ${r.field} (${r.column}) ${r.reason}`);
    if (plan.sample?.length) out.push('  sample:', ...plan.sample.filter(Boolean).map((l) => `    ${l}`));
    for (const w of plan.warnings) out.push(`  warning: ${w}`);
    if (plan.error) out.push(`  error: ${plan.error}`);
  }
  out.push(...missingSecretsText(plans), summaryLine(plans));
  return out.join('\n');
}

export function renderPlanMarkdown(plans: JobPlan[]): string {
  const out = [PLAN_MARKER, '## Writeback plan', '', summaryLine(plans), '', ...missingSecretsMarkdown(plans)];
  for (const plan of plans) {
    out.push(`### ${escapeMarkdown(plan.name)}: ${escapeMarkdown(headline(plan))}`, '');
    if (plan.offlineReason) out.push(`> ${escapeMarkdown(plan.offlineReason)}`, '');
    if (plan.held) out.push(`> Held: ${escapeMarkdown(plan.held)}`, '');
    if (plan.error) out.push(`**Error:** ${escapeMarkdown(plan.error)}`, '');
    if (plan.dataset?.name) out.push(`DataSet "${escapeMarkdown(plan.dataset.name)}" (\`${plan.dataset.id.replace(/`/g, "'")}\`), ${datasetRows(plan)}.`, '');
    if (plan.read) out.push(`Reads ${escapeMarkdown(plan.read)}.`, '');
    out.push('| field | column | Domo type | check |', '|---|---|---|---|');
    for (const c of plan.columns) {
      out.push(`| ${escapeMarkdown(c.field)} | ${escapeMarkdown(c.column)} | ${escapeMarkdown(c.domoType ?? '-')} | ${c.verdict}${c.note ? `: ${escapeMarkdown(c.note)}` : ''} |`);
    }
    out.push('');
    if (plan.rows) {
      out.push(`Rows: ${n(plan.rows.read)} read, **${n(plan.rows.toSend)} to send** in ${plan.uploads ?? 0} upload(s), ${n(plan.rows.rejected)} rejected, ${n(plan.rows.skipped)} skipped.`, '');
    }
    for (const line of plan.details) out.push(`${escapeMarkdown(line)}`, '');
    for (const action of plan.actions) out.push(`- ${escapeMarkdown(action)}`);
    if (plan.actions.length) out.push('');
    if (plan.rejects?.length) {
      out.push('| rejected row | field | column | reason |', '|---:|---|---|---|');
      for (const r of plan.rejects) out.push(`| ${escapeMarkdown(rejectedRowLabel(r))} | ${escapeMarkdown(r.field)} | ${escapeMarkdown(r.column)} | ${escapeMarkdown(r.reason)} |`);
      out.push('');
    }
    // Data goes in a fenced block, where Markdown is inert; fences inside data are broken up.
    if (plan.sample?.length) out.push('<details><summary>Sample of the file that would be sent</summary>', '', '```csv', ...plan.sample.filter(Boolean).map((l) => l.replace(/```/g, '`\u200b``')), '```', '', '</details>', '');
    for (const w of plan.warnings) out.push(`- Warning: ${escapeMarkdown(w)}`);
    if (plan.warnings.length) out.push('');
  }
  return out.join('\n');
}
