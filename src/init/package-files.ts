/** Files shipped in the package (templates, schemas, example connectors), from src/ or the build in dist/. */
import { fileURLToPath } from 'node:url';

const PACKAGE_ROOT = new URL('../../', import.meta.url);

export const packageFile = (path: string): string => fileURLToPath(new URL(path, PACKAGE_ROOT));
