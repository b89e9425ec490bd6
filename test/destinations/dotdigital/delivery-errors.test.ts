import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CONTACT_COLUMNS, CONTACTS_DATASET, contacts, SMALL_FILES, useDotdigitalWorld } from '../../helpers/dotdigital-world.ts';

describe('a Dotdigital run that fails with imports under way', () => {
  const world = useDotdigitalWorld();

  it('says which imports were uploaded without a known outcome, not that nothing was sent, and records nothing', async () => {
    world.domo.addDataSet({ id: CONTACTS_DATASET, name: 'Loyalty members', columns: CONTACT_COLUMNS, rows: contacts(300) });
    world.dd.holdImportsActive = true;
    const run = world.run(SMALL_FILES);
    // The second file was uploaded while the first import is followed; then Dotdigital loses the first.
    await vi.waitFor(() => expect(world.dd.imports.size).toBe(2), { timeout: 15_000, interval: 20 });
    world.dd.imports.delete([...world.dd.imports.keys()][0]!);
    world.dd.holdImportsActive = false;
    const report = await run;
    expect(report.status).toBe('failed');
    expect(report.error?.status).toBe(404);
    expect(report.message).toMatch(/Imports 1, 2 were uploaded and their outcome is unknown; 0 contacts were imported before\. Nothing is recorded: the next run imports every contact again/);
    expect(report.message).not.toContain('Nothing was sent');
    expect(report.imports!.map((i) => [i.part, i.status])).toEqual([
      [1, 'NotFinished'],
      [2, 'NotFinished'],
    ]);
    expect(existsSync(join(world.root, 'state', 'loyalty', 'contacts.bin'))).toBe(false);
    const again = await world.run(SMALL_FILES);
    expect([again.status, again.rows.sent]).toEqual(['succeeded', 300]);
  });
});
