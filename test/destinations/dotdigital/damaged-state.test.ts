import { readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/repo.ts';
import { CONTACT_COLUMNS, CONTACTS_DATASET, contacts, useDotdigitalWorld } from '../../helpers/dotdigital-world.ts';

describe("a changed-only job's contacts.bin cut short or edited", () => {
  const world = useDotdigitalWorld();

  it('is said in the plan and the report; the contacts it lost are imported again, and the file is whole again after', async () => {
    world.domo.addDataSet({ id: CONTACTS_DATASET, name: 'Loyalty members', columns: CONTACT_COLUMNS, rows: contacts(5) });
    expect((await world.run()).rows.sent).toBe(5);
    const file = join(world.root, 'state', 'loyalty', 'contacts.bin');
    expect(readFileSync(file).length).toBe(60);
    truncateSync(file, 12 * 3 + 5); // three whole records, and part of a fourth

    const warning = 'state/loyalty/contacts.bin is 41 bytes, not whole 12-byte records: it was cut short or edited. Its 3 whole record(s) are used; the contacts it lost are imported again (an upsert that does no harm) and recorded anew.';
    const plan = await runCli(['plan'], { root: world.root, env: world.env });
    expect(plan.stdout).toContain(warning);
    const report = await world.run();
    expect(report.warnings).toEqual([warning]);
    expect(report.rows).toMatchObject({ read: 5, sent: 2 });
    expect(readFileSync(file).length).toBe(60);
    const after = await world.run();
    expect(after.warnings).toBeUndefined();
    expect(after.rows.sent).toBe(0);
  });
});
