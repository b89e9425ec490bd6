import { insideActions, workflowSafe } from '../github/annotations.ts';

/** What a command needs from the outside world; tests pass their own. */
export interface CommandIO {
  root: string;
  env: NodeJS.ProcessEnv;
  out(line: string): void;
  err(line: string): void;
}

/** Standard output and error; inside GitHub Actions filtered so no text can run a workflow command. */
export const processIO = (root: string, env: NodeJS.ProcessEnv = process.env): CommandIO => {
  const safe = insideActions(env) ? workflowSafe : (text: string) => text;
  return {
    root,
    env,
    out: (line) => process.stdout.write(`${safe(line)}\n`),
    err: (line) => process.stderr.write(`${safe(line)}\n`),
  };
};
