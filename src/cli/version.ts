/** The installed package's version (`writeback --version`). */
import { packageInfo } from '../init/package-files.ts';

export const version = (): string => packageInfo().version;
