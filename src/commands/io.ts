/** What a command needs from the outside world; tests pass their own. */
export interface CommandIO {
  root: string;
  env: NodeJS.ProcessEnv;
  out(line: string): void;
  err(line: string): void;
}

export const processIO = (root: string): CommandIO => ({
  root,
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
