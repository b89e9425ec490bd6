/** Timing a process under GNU time: wall time, processor time and its peak RSS. */
import { spawnSync } from 'node:child_process';

export interface Figures {
  seconds: number;
  /** Processor time (user + system) of the process and its children: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  maxRssKb: number;
}

/** Runs a command under /usr/bin/time (installed with Miller when missing): wall time and the process's peak RSS. */
export function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Figures {
  const run = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', command, ...args], { encoding: 'utf8', env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 24 });
  const [seconds, rss, user, system] = run.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  if (run.status !== 0 || !Number.isFinite(seconds)) throw new Error(`${command} ${args.join(' ')} failed:\n${run.stderr}`);
  return { seconds: seconds!, cpuSeconds: user! + system!, maxRssKb: rss! };
}

/** The middle of some figures (the lower of the two middle ones for an even count, as median() takes). */
export function middleOf(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
}

/** The run of median time (and, for memory, the highest peak seen), with the range of times. */
export function median(all: Figures[]): Figures & { range: string } {
  const sorted = [...all].sort((a, b) => a.seconds - b.seconds);
  const range = all.length > 1 ? `(${sorted[0]!.seconds.toFixed(2)}-${sorted.at(-1)!.seconds.toFixed(2)})` : '';
  const middle = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { seconds: middle.seconds, cpuSeconds: middle.cpuSeconds, maxRssKb: Math.max(...all.map((f) => f.maxRssKb)), range };
}

/** Turns of a reference further apart than this (slowest over fastest) mean the machine's load moved. */
const STEADY_SPREAD = 0.1;

/**
 * Whether a reference ran steadily across its turns. A shared machine's load moves between minutes, and a
 * loaded machine slows a reference that uses several threads (Miller, an export formatted by two workers)
 * more than what it is compared with: a ratio against an unsteady reference flatters, and this says so.
 */
export function steadiness(name: string, all: Figures[]): string {
  if (all.length < 2) return `${name} ran once: whether the machine was steady is not known (BENCH_RUNS=3 or more)`;
  const seconds = all.map((f) => f.seconds);
  const spread = Math.max(...seconds) / Math.min(...seconds) - 1;
  const within = `${(spread * 100).toFixed(0)}%`;
  return spread <= STEADY_SPREAD
    ? `${name} ran steadily: its ${all.length} turns within ${within} of each other`
    : `${name} did NOT run steadily: its turns ${within} apart (over ${STEADY_SPREAD * 100}%); the machine's load moved, and the ratios above may flatter: run the bench again on a quieter machine`;
}
