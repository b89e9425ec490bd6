/** A meaning check: a small function that reads a (possibly ill-typed) definition and reports every problem it sees. */
import type { PathSegment } from './yaml-source.ts';

export interface CheckContext {
  file: string;
  /** The parsed YAML value; shapes are not guaranteed. */
  value: Record<string, unknown>;
  report(path: PathSegment[], message: string, onKey?: boolean): void;
  /** The environment of the command (the operator's settings, such as WRITEBACK_ALLOWED_HOSTS). */
  env: NodeJS.ProcessEnv;
}

export type Check = (context: CheckContext) => void;

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value at `path` of a value of unknown shape, or undefined. */
export const get = (value: unknown, ...path: string[]): unknown => path.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), value);
