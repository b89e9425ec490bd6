import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES, renderMatrix, runCase, type MatrixRow } from './fault-matrix/matrix.ts';

describe('fault matrix (npm run faults)', () => {
  const rows: MatrixRow[] = [];
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterAll(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  for (const c of CASES) {
    it(`${c.name}: ends ${c.expect}, loses and duplicates nothing, claims nothing undelivered`, async () => {
      const row = await runCase(c);
      rows.push(row);
      expect({ outcome: row.outcome, lost: row.lost, duplicated: row.duplicated, claimed: row.claimedUndelivered }).toEqual({ outcome: c.expect, lost: 0, duplicated: 0, claimed: 0 });
      expect(row.final, row.message).toBe('succeeded');
      if (c.expect === 'held') expect(row.message).toMatch(/npx writeback release sales --delivered.*--not-delivered/);
      if (c.expect === 'failed') expect(row.message.length).toBeGreaterThan(30);
    });
  }

  it('prints as a table with one row per case', () => {
    const table = renderMatrix(rows).split('\n');
    expect(table[0]).toMatch(/^case\s+outcome\s+expected\s+after decision\s+lines lost\s+lines duplicated\s+state claims undelivered$/);
    expect(table).toHaveLength(CASES.length + 2);
  });
});
