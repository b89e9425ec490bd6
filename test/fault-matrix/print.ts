/** `npm run faults`: runs the fault matrix and prints it; exits 1 if any line was lost or duplicated. */
import nock from 'nock';
import { CASES, renderMatrix, runCase } from './matrix.ts';

nock.disableNetConnect();
nock.enableNetConnect('127.0.0.1');
const rows = [];
for (const c of CASES) rows.push(await runCase(c));
console.log(renderMatrix(rows));
const bad = rows.filter((r, i) => r.lost || r.duplicated || r.claimedUndelivered || r.outcome !== CASES[i]!.expect);
console.log(`\n${rows.length} cases, ${rows.reduce((n, r) => n + r.lost, 0)} lines lost, ${rows.reduce((n, r) => n + r.duplicated, 0)} duplicated, ${bad.length} not as expected`);
process.exitCode = bad.length ? 1 : 0;
