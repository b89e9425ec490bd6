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
