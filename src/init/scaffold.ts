/**
 * What `writeback init` writes into a team's repository: one suspended example connector per kind, the two
 * workflows, a .gitignore, editor settings mapping the schema, a short README. Built from the files this
 * package ships (connectors/, templates/), so they are the ones its own tests check.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseDocument, type YAMLMap } from 'yaml';
import { CONNECTORS_DIR } from '../definitions/files.ts';
import { packageFile, packageInfo, type PackageInfo } from './package-files.ts';
import { WORKFLOW_TEMPLATES, workflowTemplate, type WorkflowName } from './workflows.ts';

export interface ScaffoldFile {
  path: string;
  content: string;
  /** Lines to add to an existing file instead of leaving it alone (.gitignore). */
  appendLines?: string[];
}


/** Where the schema is once the package is installed, as editors and modelines reach it from the repository root. */
export const installedSchema = (pkg: PackageInfo) => `node_modules/${pkg.name}/schemas/writeback.schema.json`;

const MODELINE = /^# yaml-language-server: \$schema=.*$/m;

/** An example connector, suspended and pointing its modeline at the installed schema. */
export function exampleConnector(text: string, pkg: PackageInfo): string {
  const doc = parseDocument(text.replace(MODELINE, `# yaml-language-server: $schema=../${installedSchema(pkg)}`));
  const spec = doc.get('spec') as YAMLMap;
  const suspend = doc.createPair('suspend', true);
  (suspend.key as { commentBefore?: string }).commentBefore =
    ' An example: suspended, so nothing runs or alerts. Point it at your DataSet and fields, store its\n' +
    ' secrets (see README.md), check it with npx writeback validate and plan, then delete this line.';
  spec.items.unshift(suspend);
  return doc.toString({ lineWidth: 0 });
}

/** The first example connector of each kind this package ships. */
function examples(pkg: PackageInfo): ScaffoldFile[] {
  const dir = packageFile(`${CONNECTORS_DIR}/`);
  const byKind = new Map<string, ScaffoldFile>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    const text = readFileSync(`${dir}${file}`, 'utf8');
    const kind = /^kind: *(\S+)/m.exec(text)?.[1];
    if (kind && !byKind.has(kind)) byKind.set(kind, { path: `${CONNECTORS_DIR}/${file}`, content: exampleConnector(text, pkg) });
  }
  return [...byKind.values()];
}

const workflow = (name: WorkflowName, pkg: PackageInfo): ScaffoldFile => ({
  path: `.github/workflows/${WORKFLOW_TEMPLATES[name]}`,
  content: `# Written by writeback init (${pkg.name} ${pkg.version}).\n${workflowTemplate(name)}`,
});

/**
 * Never commit what a run leaves for a moment, or a lock (a committed lock would stop every fresh checkout's
 * runs), or what `writeback emulate` prints and writes (dummy credentials, the scratch copy in .writeback/).
 */
const IGNORED = ['node_modules/', '.writeback/', 'state/*.lock', 'state/*.lock.*', '*.tmp-[0-9]*', 'emulate.env'];

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export function scaffold(pkg: PackageInfo = packageInfo()): ScaffoldFile[] {
  const readme = readFileSync(packageFile('templates/README.md'), 'utf8').replaceAll('{{package}}', pkg.name).replaceAll('{{version}}', pkg.version);
  return [
    ...examples(pkg),
    workflow('validate', pkg),
    workflow('reconcile', pkg),
    { path: '.gitignore', content: `${IGNORED.join('\n')}\n`, appendLines: IGNORED },
    { path: '.vscode/settings.json', content: json({ 'yaml.schemas': { [`./${installedSchema(pkg)}`]: `${CONNECTORS_DIR}/*.yaml` } }) },
    { path: '.vscode/extensions.json', content: json({ recommendations: ['redhat.vscode-yaml'] }) },
    { path: 'README.md', content: readme },
  ];
}
