import { insideActions, workflowSafe } from '../github/annotations.ts';

/** What a command needs from the outside world; tests pass their own. */
export interface CommandIO {
  root: string;
  env: NodeJS.ProcessEnv;
  out(line: string): void;
  err(line: string): void;
}

/**
 * A stream whose reader went away (`writeback status | head -1`) takes no more output, quietly: the command
 * goes on (a reconcile midway through an upload must finish it and record it), it just stops printing.
 */
function writer(stream: NodeJS.WriteStream, safe: (text: string) => string): (line: string) => void {
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    closed = true;
  });
  return (line) => {
    if (!closed) stream.write(`${safe(line)}\n`);
  };
}

let standard: { out(line: string): void; err(line: string): void } | undefined;

/** Standard output and error; inside GitHub Actions filtered so no text can run a workflow command. */
export const processIO = (root: string, env: NodeJS.ProcessEnv = process.env): CommandIO => {
  const safe = insideActions(env) ? workflowSafe : (text: string) => text;
  standard ??= { out: writer(process.stdout, safe), err: writer(process.stderr, safe) };
  return { root, env, ...standard };
};
