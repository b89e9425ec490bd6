/** The job summary shown on the workflow run page ($GITHUB_STEP_SUMMARY, capped by GitHub at 1 MiB). */
import { appendFileSync } from 'node:fs';

export const STEP_SUMMARY_LIMIT = 1024 * 1024;

export function writeStepSummary(env: NodeJS.ProcessEnv, markdown: string): void {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return;
  const note = '\n\n_Summary truncated: see reports/README.md on the branch state is committed to._\n';
  let text = markdown;
  if (Buffer.byteLength(text) > STEP_SUMMARY_LIMIT - 1024) {
    text = Buffer.from(text).subarray(0, STEP_SUMMARY_LIMIT - 1024 - note.length).toString('utf8').replace(/\uFFFD$/, '') + note;
  }
  appendFileSync(file, text);
}
