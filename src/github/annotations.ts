/** GitHub Actions workflow commands, escaped per the runner's rules so any message is safe. */

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export interface Annotation {
  file: string;
  line: number;
  column: number;
  message: string;
}

export function errorAnnotation(a: Annotation): string {
  return `::error file=${escapeProperty(a.file)},line=${a.line},col=${a.column}::${escapeData(a.message)}`;
}

export function noticeAnnotation(a: Annotation): string {
  return `::notice file=${escapeProperty(a.file)},line=${a.line},col=${a.column}::${escapeData(a.message)}`;
}

/** Hides a value from every later line of the job's log. */
export function addMask(value: string): string {
  return `::add-mask::${escapeData(value)}`;
}

export const insideActions = (env: NodeJS.ProcessEnv): boolean => env.GITHUB_ACTIONS === 'true';
