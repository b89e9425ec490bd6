import { validateRepository } from '../definitions/validator.ts';
import { errorAnnotation, insideActions, noticeAnnotation } from '../github/annotations.ts';
import type { Problem } from '../errors/index.ts';
import type { CommandIO } from './io.ts';

export interface ValidateOptions {
  files: string[];
  json: boolean;
}

/** `writeback validate [FILE...]`: exit 0 when every definition is valid, 1 otherwise. */
export function validateCommand(io: CommandIO, options: ValidateOptions): number {
  const { definitions, problems, notes } = validateRepository(io.root, options.files, io.env);
  const valid = problems.length === 0;
  const plain = (list: Problem[]) => list.map(({ file, line, column, message }) => ({ file, line, column, message }));
  if (options.json) {
    io.out(JSON.stringify({ valid, errors: plain(problems), notes: plain(notes) }, null, 2));
    return valid ? 0 : 1;
  }
  for (const p of problems) io.out(`${p.file}:${p.line}:${p.column}: ${p.message}`);
  for (const p of notes) io.out(`${p.file}:${p.line}:${p.column}: note: ${p.message}`);
  if (insideActions(io.env)) for (const p of problems) io.out(errorAnnotation(p, io));
  if (insideActions(io.env)) for (const p of notes) io.out(noticeAnnotation(p, io));
  if (valid) {
    io.out(definitions.length ? `${definitions.length} definition${definitions.length === 1 ? '' : 's'} valid` : 'no definitions found in connectors/');
  } else {
    const files = new Set(problems.map((p) => p.file)).size;
    io.out(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}`);
  }
  return valid ? 0 : 1;
}
