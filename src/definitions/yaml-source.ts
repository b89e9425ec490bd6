/** Reads one definition file into a YAML document that remembers where every node came from. */
import { readDefinitionFile } from './files.ts';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';

export type PathSegment = string | number;

export interface Position {
  line: number;
  column: number;
}

/** Aliases a legitimate definition might use; a "billion laughs" file needs far more. */
const MAX_ALIAS_COUNT = 100;

const EMPTY = 'file is empty; a definition needs apiVersion, kind, metadata and spec.';

export interface SourceProblem extends Position {
  message: string;
}

export class YamlSource {
  private constructor(
    readonly file: string,
    readonly value: unknown,
    readonly problems: SourceProblem[],
    private readonly doc: Document | undefined,
    private readonly lines: LineCounter,
  ) {}

  /** Reads a definition file of the repository at `root` (see files.ts for what is refused). */
  static read(path: string, displayName: string, root: string = process.cwd()): YamlSource {
    const lines = new LineCounter();
    const fail = (message: string, at: Position = { line: 1, column: 1 }) =>
      new YamlSource(displayName, undefined, [{ ...at, message }], undefined, lines);

    const file = readDefinitionFile(path, root);
    if ('problem' in file) return fail(file.problem);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(file.bytes);
    } catch {
      return fail('file is not UTF-8 text; save it as UTF-8.');
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM is harmless: drop it
    if (text.trim() === '') {
      return fail(EMPTY);
    }
    return YamlSource.parse(text, displayName);
  }

  static parse(text: string, displayName: string): YamlSource {
    const lines = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter: lines, merge: true, uniqueKeys: true, prettyErrors: false });
    const position = (offset: number): Position => {
      const { line, col } = lines.linePos(offset);
      return { line, column: col };
    };
    const empty = (): YamlSource =>
      new YamlSource(displayName, undefined, [{ line: 1, column: 1, message: EMPTY }], undefined, lines);
    // A comment-only stream yields an empty collection, not an array.
    if (!Array.isArray(docs) || docs.length === 0) return empty();
    const doc = docs[0]!;
    const second = docs[1];
    const problems: SourceProblem[] = [];
    if (second) {
      problems.push({
        ...position(second.range?.[0] ?? 0),
        message: `file holds ${docs.length} YAML documents; keep one definition per file (connectors/<name>.yaml).`,
      });
    }
    for (const error of doc.errors) {
      problems.push({ ...position(error.pos[0]), message: `not valid YAML: ${firstLine(error.message)}` });
    }
    if (problems.length) return new YamlSource(displayName, undefined, problems, doc, lines);

    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const why = /alias/i.test(message)
        ? `too many YAML alias expansions (over ${MAX_ALIAS_COUNT}); write the values out instead of nesting aliases.`
        : `not usable YAML: ${firstLine(message)}`;
      return new YamlSource(displayName, undefined, [{ line: 1, column: 1, message: why }], doc, lines);
    }
    if (value === null || value === undefined) return empty();
    return new YamlSource(displayName, value, problems, doc, lines);
  }

  /**
   * Where the node at `path` starts. With `key`, the position of the mapping key instead of its value
   * (an unknown key is best shown on the key). Falls back to the deepest node that exists.
   */
  locate(path: readonly PathSegment[], key = false): Position {
    if (!this.doc) return { line: 1, column: 1 };
    let node: Node | null | undefined = this.doc.contents as Node | null;
    let found: Node | null | undefined = node;
    for (let i = 0; i < path.length && node; i++) {
      const segment = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) break;
        node = (last && key ? pair.key : pair.value) as Node | null;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment] as Node | undefined;
      } else {
        break;
      }
      if (node) found = node;
    }
    const offset = found?.range?.[0] ?? 0;
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
