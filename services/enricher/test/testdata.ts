/** Where the shared test vectors are: PRA_TESTDATA_DIR, else ../shared/testdata from the repo root. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TESTDATA = process.env.PRA_TESTDATA_DIR ?? resolve(REPO_ROOT, '../shared/testdata');
export const testdata = (...parts: string[]): string => resolve(TESTDATA, ...parts);
