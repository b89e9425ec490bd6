/**
 * GitHub Actions workflow commands, escaped per the runner's rules so any message is safe, and the filter
 * that keeps text from files, definitions, data and vendors from ever being read as one.
 */
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Escapes a command's message (actions/toolkit, packages/core/src/command.ts escapeData). */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a property's value, where : and , also delimit (toolkit's escapeProperty). */
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export interface Annotation {
  /** The file as the command shows it: relative to the repository (--root), to the working directory, or absolute. */
  file: string;
  line: number;
  column: number;
  message: string;
  /** Shown in bold above the message; default ERROR_TITLE or NOTICE_TITLE. */
  title?: string;
}

/** Where an annotation's file is looked up. */
export interface AnnotationPlace {
  /** The repository the command works on (--root): a relative file is relative to it. */
  root: string;
  /** GITHUB_WORKSPACE is where GitHub finds the file (the checkout); without it, root. */
  env?: NodeJS.ProcessEnv;
  /** A file outside root is shown relative to the working directory (definitions/files.ts displayPath). */
  cwd?: string;
}

/** The workflow commands this process wrote itself: the only lines the output filter lets through as commands. */
const issued = new Set<string>();
const issue = (command: string): string => {
  issued.add(command);
  return command;
};

export const ERROR_TITLE = 'writeback validate';
export const NOTICE_TITLE = 'writeback validate: note';

const isWithin = (rel: string) => rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);

function realPath(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch {
    return undefined;
  }
}

/**
 * The file's path relative to the workspace, with forward slashes, which is how GitHub matches an annotation
 * to a file of the pull request (it knows nothing of --root, or of the directory the command ran in); undefined
 * when the file lies outside the workspace. Without a place, the file as given.
 */
export function annotationFile(file: string, place?: AnnotationPlace): string | undefined {
  if (!place) return file.replace(/^(\.\/)+/, '');
  const root = resolve(place.root);
  const workspace = resolve(root, place.env?.GITHUB_WORKSPACE || root);
  const candidates = isAbsolute(file) ? [file] : [resolve(root, file), resolve(place.cwd ?? process.cwd(), file)];
  const path = candidates.find((c) => existsSync(c)) ?? candidates[0]!;
  let rel = relative(workspace, path);
  if (!isWithin(rel)) {
    // A link on the way (macOS's /var -> /private/var, a workspace reached through a link): compare real paths.
    const real = [realPath(workspace), realPath(path)];
    if (real[0] && real[1]) rel = relative(real[0], real[1]);
  }
  return isWithin(rel) ? rel.split(sep).join('/') : undefined;
}

function annotation(command: 'error' | 'notice', a: Annotation, title: string, place?: AnnotationPlace): string {
  const file = annotationFile(a.file, place);
  const line = Math.max(1, Math.trunc(a.line) || 1);
  const column = Math.max(1, Math.trunc(a.column) || 1);
  const properties = file === undefined ? [] : [`file=${escapeProperty(file)}`, `line=${line}`, `col=${column}`];
  properties.push(`title=${escapeProperty(a.title ?? title)}`);
  // Outside the workspace GitHub cannot show it at a line: the message says where instead.
  const message = file === undefined ? `${a.file}:${line}:${column}: ${a.message}` : a.message;
  return issue(`::${command} ${properties.join(',')}::${escapeData(message)}`);
}

/**
 * `::error file=...,line=...,col=...,title=...::message`, with the file relative to GITHUB_WORKSPACE when a
 * place is given (pass the command's root and env: validate --root may name a subdirectory of the checkout).
 */
export function errorAnnotation(a: Annotation, place?: AnnotationPlace): string {
  return annotation('error', a, ERROR_TITLE, place);
}

export function noticeAnnotation(a: Annotation, place?: AnnotationPlace): string {
  return annotation('notice', a, NOTICE_TITLE, place);
}

/** `::warning title=...::message`, about the run rather than a line of a file (shown on the run's summary page). */
export function runWarning(title: string, message: string): string {
  return issue(`::warning title=${escapeProperty(title)}::${escapeData(message)}`);
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
