/** What the bench's parts share: the emulators' process, its figures, the runner's environment. */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const here = (file: string) => new URL(file, import.meta.url).pathname;
export const tsx = ['--import', 'tsx'];
export const n = (value: number) => Math.round(value).toLocaleString('en-US');

/** How many times each side runs, taking turns (BENCH_RUNS, default 3). */
export const benchTurns = () => Math.max(1, Number(process.env.BENCH_RUNS) || 3);

/** `npm run bench:<part>`: runs one part of the bench alone when its module is the entry point, in a temporary folder. */
export async function runAlone(moduleUrl: string, name: string, measure: (dir: string, turns: number) => Promise<string[]>): Promise<void> {
  if (process.argv[1] !== new URL(moduleUrl).pathname) return;
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), `writeback-${name}-`));
  try {
    for (const text of await measure(dir, benchTurns())) console.log(text);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const BENCH_MERCHANT = '19CAA097101B372A';
export const BENCH_SECRETS = { BENCH_DOMO_ID: 'bench-client', BENCH_DOMO_SECRET: 'bench-secret', BENCH_EMARSYS_TOKEN: 'bench-token', BENCH_DOTDIGITAL_USER: 'bench-user', BENCH_DOTDIGITAL_PASSWORD: 'bench-password' };

/** What the emulators saw so far: lines or contacts accepted, uploads or imports, bytes and queries Domo served, their processor time. */
export interface EmulatorStats {
  accepted: number;
  uploads: number;
  domoBytes: number;
  queries: number;
  cpuSeconds: number;
}

export interface Emulators {
  process: ChildProcess;
  /** The runner's environment: the bench's secrets and the emulators' addresses. */
  env: NodeJS.ProcessEnv;
  stats(): Promise<EmulatorStats>;
  stop(): Promise<EmulatorStats>;
}

/** Starts emulators.ts serving CSVFILE (ROWS rows of `kind`, indexed on `index` for queries) in their own process. */
export async function startEmulators(csvFile: string, rows: number, kind: 'sales' | 'contacts', index?: string): Promise<Emulators> {
  const child = fork(here('emulators.ts'), [csvFile, String(rows), kind, ...(index ? [index] : [])], { execArgv: tsx, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const urls = JSON.parse(((await once(child.stdout!, 'data')) as [Buffer])[0].toString()) as { domo: string; emarsys: string; dotdigital: string };
  const { GITHUB_ACTIONS: _, ...env } = process.env;
  Object.assign(env, BENCH_SECRETS, { DOMO_API_URL: urls.domo, EMARSYS_SALES_API_URL: urls.emarsys, DOTDIGITAL_API_URL: urls.dotdigital });
  // 'stats' answers what the emulators saw so far; anything else also stops them.
  const ask = async (message: string) => {
    child.send(message);
    return ((await once(child, 'message')) as [EmulatorStats])[0];
  };
  return { process: child, env, stats: () => ask('stats'), stop: () => ask('stop') };
}
