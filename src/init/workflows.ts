/**
 * The workflows: templates/workflows/ holds the ones `writeback init` writes into a team's repository; this
 * repository's .github/workflows/reconcile.yml and validate.yml are the same jobs as reusable workflows
 * (`on: workflow_call`), derived from them so the two never drift (`npm run workflows`; a test holds them equal).
 */
import { readFileSync } from 'node:fs';
import { packageFile } from './package-files.ts';

export const WORKFLOW_TEMPLATES = { reconcile: 'writeback-reconcile.yml', validate: 'writeback-validate.yml' } as const;
export type WorkflowName = keyof typeof WORKFLOW_TEMPLATES;

export const workflowTemplate = (name: WorkflowName): string => readFileSync(packageFile(`templates/workflows/${WORKFLOW_TEMPLATES[name]}`), 'utf8');

const REUSABLE_HEADER = (name: WorkflowName) => `# Generated from templates/workflows/${WORKFLOW_TEMPLATES[name]} by npm run workflows: edit that file, not this one.
# A reusable workflow: a repository that installs Writeback calls it (README, "Use Writeback in your
# repository") and it runs there, with the Writeback version that repository's package-lock.json pins.
`;

/** The template as a reusable workflow: its triggers become `workflow_call` (keeping the manual inputs). */
export function reusableWorkflow(name: WorkflowName, template = workflowTemplate(name)): string {
  const body = template.slice(template.indexOf('\nname: ') + 1);
  const triggers = /^on:\n[\s\S]*?\n\n/m.exec(body);
  if (!triggers) throw new Error(`templates/workflows/${WORKFLOW_TEMPLATES[name]} has no on: block followed by a blank line`);
  const inputs = /^ {4}inputs:\n[\s\S]*?\n\n/m.exec(triggers[0])?.[0] ?? '\n';
  return REUSABLE_HEADER(name) + body.replace(triggers[0], `on:\n  workflow_call:\n${inputs}`);
}
