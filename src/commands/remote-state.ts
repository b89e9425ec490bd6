/**
 * Commands that read or change state work on the state branch's latest files when WRITEBACK_STATE_BRANCH is
 * set (fresh clone, no local state needed): they pull it first. Those that change state and commit nothing
 * themselves (release, rename, baseline) commit what they changed afterwards; reconcile and dashboard commit
 * through publish.
 */
import { WritebackError } from '../errors/index.ts';
import { insideActions } from '../github/annotations.ts';
import { commitFiles } from '../github/commit.ts';
import { githubSession, missingStateBranchAccess, stateBranchName, type GitHubSession } from '../reconcile/github-session.ts';
import type { CommandIO } from './io.ts';

/** Commands that read state (and so must read the state branch's). */
export const READS_STATE = new Set(['plan', 'reconcile', 'status', 'due', 'dashboard', 'release', 'rename', 'baseline']);
/** Commands that change state and are done once it is committed. */
const CHANGES_STATE = new Set(['release', 'rename', 'baseline']);

export interface RemoteState {
  session?: GitHubSession;
  /** After the command: commits what it changed (release, rename, baseline); returns problems. */
  finish(code: number): Promise<number>;
}

export async function openRemoteState(io: CommandIO, command: string, dryRun: boolean): Promise<RemoteState> {
  const none: RemoteState = { finish: async (code) => code };
  if (!READS_STATE.has(command)) return none;
  const name = stateBranchName(io.env);
  if (!name) return none;
  if (name === 'writeback-intent' || name.startsWith('writeback-intent/')) throw new WritebackError(`WRITEBACK_STATE_BRANCH may not be ${name}: writeback-intent/* are the runs' intent branches`);
  const missing = missingStateBranchAccess(io.env);
  if (missing) {
    // Changing state from a copy that may be stale could send lines again (reconcile) or lose a decision; in
    // the workflow, due would call every job due and each would run on main's old state.
    if (insideActions(io.env) || (command === 'reconcile' && !dryRun) || CHANGES_STATE.has(command)) {
      throw new WritebackError(`${missing}. ${insideActions(io.env) ? 'Pass GITHUB_TOKEN: ${{ github.token }} in the step\'s env.' : 'Set them (GITHUB_TOKEN=$(gh auth token) GITHUB_REPOSITORY=owner/repo), or run it from the workflow.'}`);
    }
    io.err(`writeback ${command}: ${missing}; showing the local state/ instead`);
    return none;
  }
  if (command === 'reconcile' && !dryRun && !insideActions(io.env)) {
    // The workflow's concurrency group keeps its runs apart; a run from here would not be, and could deliver from the same state twice.
    throw new WritebackError(`with a state branch, deliveries run from the workflow only (Actions > Reconcile > Run workflow, or gh workflow run writeback-reconcile.yml); here, use --dry-run`);
  }
  const session = await githubSession(io.root, io.env, io.err);
  const branch = session?.stateBranch;
  if (!session || !branch) return none;
  if (await branch.pull(io.root)) io.err(`writeback ${command}: read state and reports from ${branch.branch} at ${branch.head!.slice(0, 7)}`);
  else if (CHANGES_STATE.has(command)) throw new WritebackError(`the state branch ${branch.branch} does not exist (misspelt, or deleted?): nothing changed. The first reconcile in the workflow creates it.`);
  else io.err(`writeback ${command}: ${branch.branch} does not exist yet; using this checkout's state/ and reports/${command === 'reconcile' ? ' (the first reconcile creates the branch from them)' : ''}`);
  return {
    session,
    async finish(code) {
      if (!CHANGES_STATE.has(command)) return code;
      try {
        const commit = await commitFiles(session.octokit, session.target, branch.changes(), `writeback: ${command}`, { log: io.out, knownBlobs: branch.knownBlobs(), base: branch.commitBase() });
        if (commit) io.out(`committed to ${branch.branch}: the scheduled runs see it (nothing for you to commit)`);
        return code;
      } catch (error) {
        io.err(`writeback ${command}: ${(error as Error).message}`);
        return 1;
      }
    },
  };
}
