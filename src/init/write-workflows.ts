/** `npm run workflows`: rewrites .github/workflows/{reconcile,validate}.yml from templates/workflows/. */
import { writeFileSync } from 'node:fs';
import { packageFile } from './package-files.ts';
import { reusableWorkflow, WORKFLOW_TEMPLATES, type WorkflowName } from './workflows.ts';

for (const name of Object.keys(WORKFLOW_TEMPLATES) as WorkflowName[]) {
  writeFileSync(packageFile(`.github/workflows/${name}.yml`), reusableWorkflow(name));
  console.log(`.github/workflows/${name}.yml written`);
}
