/** The plan as ONE pull-request comment, found by its marker and updated in place on later pushes. */
import { readFileSync } from 'node:fs';
import type { Octokit } from '@octokit/rest';
import type { RepoTarget } from './client.ts';
import { CREATE_ONCE, retryRelisting } from './create-once.ts';

/** GitHub refuses comment bodies over 65,536 characters. */
export const COMMENT_LIMIT = 65_536;

export function fitComment(body: string, limit = COMMENT_LIMIT): string {
  if (body.length <= limit) return body;
  const note = '\n\n_The plan was cut to fit a GitHub comment; run `npx writeback plan` or see the job summary for all of it._\n';
  // Whole lines only, so no fence is cut in half; room is kept to close a fence left open.
  let cut = body.slice(0, limit - note.length - 4);
  const lastBreak = cut.lastIndexOf('\n');
  if (lastBreak > 0) cut = cut.slice(0, lastBreak);
  if ((cut.match(/^```/gm)?.length ?? 0) % 2 === 1) cut += '\n```';
  return `${cut}${note}`;
}

export function pullRequestNumber(env: NodeJS.ProcessEnv): number | undefined {
  if (!env.GITHUB_EVENT_PATH) return undefined;
  try {
    const event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as { pull_request?: { number?: number } };
    return event.pull_request?.number;
  } catch {
    return undefined;
  }
}

/** Who writes the plan comment: the workflow's GITHUB_TOKEN comments as github-actions[bot] (WRITEBACK_COMMENT_AUTHOR for another token's user). */
export const commentAuthor = (env: NodeJS.ProcessEnv) => env.WRITEBACK_COMMENT_AUTHOR || 'github-actions[bot]';

/**
 * Updates the plan comment in place, or creates it. Only a comment the workflow itself wrote counts: anyone
 * can write the marker into a comment of theirs, and the workflow must not edit other people's words.
 */
export function upsertComment(octokit: Octokit, target: RepoTarget, issueNumber: number, marker: string, body: string, author = 'github-actions[bot]'): Promise<'created' | 'updated'> {
  return retryRelisting(() => upsertCommentOnce(octokit, target, issueNumber, marker, body, author));
}

async function upsertCommentOnce(octokit: Octokit, target: RepoTarget, issueNumber: number, marker: string, body: string, author: string): Promise<'created' | 'updated'> {
  const { owner, repo } = target;
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: issueNumber, per_page: 100 });
  const mine = comments.find((c) => c.user?.login === author && c.body?.includes(marker));
  const text = fitComment(body);
  if (mine) {
    await octokit.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body: text });
    return 'updated';
  }
  await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body: text, ...CREATE_ONCE });
  return 'created';
}
