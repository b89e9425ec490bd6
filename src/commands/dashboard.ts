/** `writeback dashboard`: rewrites reports/README.md from every job's reports; inside Actions, commits it. */
import { deliveryBranchRefusal } from '../github/delivery-branch.ts';
import { githubSession, type GitHubSession } from '../reconcile/github-session.ts';
import { publish } from '../reconcile/publish.ts';
import type { CommandIO } from './io.ts';

export async function dashboardCommand(io: CommandIO, session?: GitHubSession): Promise<number> {
  // Where reconcile only dry-runs (another branch than the delivery branch), nothing is committed either.
  const refusal = deliveryBranchRefusal(io.env);
  if (refusal) {
    io.out(`writeback dashboard: ${refusal}; reports/README.md is not rewritten or committed here`);
    return 0;
  }
  const github = session ?? (await githubSession(io.root, io.env, io.out));
  const { problems } = await publish(io.root, io.env, [], io.out, github, new Date(), { commitAlways: true });
  for (const problem of problems) io.err(`writeback dashboard: ${problem}`);
  io.out('reports/README.md written');
  return problems.length ? 1 : 0;
}
