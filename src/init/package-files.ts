/** Files shipped in the package (templates, schemas, example connectors), from src/ or the build in dist/. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PACKAGE_ROOT = new URL('../../', import.meta.url);

export const packageFile = (path: string): string => fileURLToPath(new URL(path, PACKAGE_ROOT));

export interface PackageInfo {
  name: string;
  version: string;
}

/** The installed package's name and version, from its package.json. */
export const packageInfo = (): PackageInfo => JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as PackageInfo;
