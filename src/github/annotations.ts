/**
 * GitHub Actions workflow commands, escaped per the runner's rules so any message is safe, and the filter
 * that keeps text from files, definitions, data and vendors from ever being read as one.
 */

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

/** The workflow commands this process wrote itself: the only lines the output filter lets through as commands. */
const issued = new Set<string>();
const issue = (command: string): string => {
  issued.add(command);
  return command;
};

export function errorAnnotation(a: Annotation): string {
  return issue(`::error file=${escapeProperty(a.file)},line=${a.line},col=${a.column}::${escapeData(a.message)}`);
}

export function noticeAnnotation(a: Annotation): string {
  return issue(`::notice file=${escapeProperty(a.file)},line=${a.line},col=${a.column}::${escapeData(a.message)}`);
}

/** Hides a value from every later line of the job's log. */
export function addMask(value: string): string {
  return issue(`::add-mask::${escapeData(value)}`);
}

export const insideActions = (env: NodeJS.ProcessEnv): boolean => env.GITHUB_ACTIONS === 'true';

/**
 * Text for the Actions log that cannot run a workflow command it did not come from. The runner reads a
 * line as a command when it starts with `::` after leading spaces, or holds `##[` anywhere (actions/runner,
 * src/Runner.Common/ActionCommand.cs: TryParseV2 and TryParse), and it splits lines at \n and \r. So every
 * line but the commands this process issued has its `::` start and every `##[` broken with a zero-width space.
 */
export function workflowSafe(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => {
      if (issued.has(line)) return line;
      return line.replace(/^(\s*):(?=:)/, '$1:\u200b').replaceAll('##[', '#\u200b#[');
    })
    .join('\n');
}
