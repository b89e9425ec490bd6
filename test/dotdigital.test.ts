import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it, vi } from 'vitest';
import { ContactFingerprints, SEEN_BEFORE } from '../src/destinations/dotdigital/fingerprints.ts';
import { rateLimitWaitMs } from '../src/http/retry.ts';
import { runCli } from './helpers/repo.ts';
import { CONTACT_COLUMNS, CONTACTS_DATASET, contacts, contactsJob, DD_SECRETS, readState, SMALL_FILES, useDotdigitalWorld } from './helpers/dotdigital-world.ts';

const SPEC = openApiForAjv(JSON.parse(readFileSync(join(import.meta.dirname, '..', 'docs', 'vendors', 'specs', 'dotdigital-v2.openapi.json'), 'utf8'))) as { paths: unknown };

/** OpenAPI 3.0 allows `nullable` without `type` (it then means nothing); Ajv refuses it, so it goes. */
function openApiForAjv(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(openApiForAjv);
  if (typeof node !== 'object' || node === null) return node;
  const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, openApiForAjv(v)]));
  if ('nullable' in out && !('type' in out)) delete out.nullable;
  return out;
}

/** Validates a recorded request against the vendor's OpenAPI description: a known operation, path parameters, JSON body. */
function openApiProblems(request: { method: string; path: string; body?: unknown }): string[] {
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema(SPEC as object, 'dd.json');
  for (const [template, item] of Object.entries(SPEC.paths as Record<string, Record<string, { parameters?: { name: string; in: string; schema: unknown }[]; requestBody?: { content: Record<string, { schema: unknown }> } }>>)) {
    const names: string[] = [];
    const pattern = new RegExp(`^${template.replace(/\{(\w+)\}/g, (_, name: string) => (names.push(name), '([^/]+)'))}$`);
    const match = pattern.exec(request.path);
    const operation = item[request.method.toLowerCase()];
    if (!match || !operation) continue;
    const problems: string[] = [];
    for (const parameter of operation.parameters ?? []) {
      const at = names.indexOf(parameter.name);
      if (parameter.in !== 'path' || at < 0) continue;
      const schema = JSON.parse(JSON.stringify(parameter.schema).replace(/"#\/components/g, '"dd.json#/components'));
      const raw = decodeURIComponent(match[at + 1]!);
      if (!ajv.validate(schema, /^\d+$/.test(raw) ? Number(raw) : raw)) problems.push(`${request.path}: path parameter ${parameter.name} ${ajv.errorsText()}`);
    }
    const bodySchema = operation.requestBody?.content['application/json']?.schema;
    if (bodySchema && !ajv.validate(JSON.parse(JSON.stringify(bodySchema).replace(/"#\/components/g, '"dd.json#/components')), request.body)) {
      problems.push(`${request.method} ${request.path}: body ${ajv.errorsText()}`);
    }
    if (operation.requestBody && request.body === undefined) problems.push(`${request.method} ${request.path}: body missing`);
    return problems;
  }
  return [`${request.method} ${request.path}: no such operation in the vendor's OpenAPI description`];
}

describe('Dotdigital contacts writeback', () => {
  const world = useDotdigitalWorld();
  const dataset = (rows: string[][]) => world.domo.addDataSet({ id: CONTACTS_DATASET, name: 'Loyalty members', columns: CONTACT_COLUMNS, rows });

  it('creates allowed fields, imports formatted contacts into the address book, and every request matches the OpenAPI description', async () => {
    dataset(contacts(5));
    const report = await world.run();
    expect(report.status, report.message).toBe('succeeded');
    expect(report.rows).toEqual({ read: 5, sent: 5, rejected: 0, skipped: 0 });
    expect(report.fieldsCreated).toEqual(['LOYALTYTIER', 'POINTS', 'JOINED', 'VIP']);
    expect(world.dd.dataFields.get('POINTS')?.type).toBe('Numeric');
    expect(world.dd.contacts.get('member2@example.com')).toEqual({
      dataFields: { FIRSTNAME: 'Name2', LOYALTYTIER: 'silver', POINTS: '200', JOINED: '2024-02-29T00:00:00', VIP: 'true' },
      addressBooks: new Set([4242]),
    });
    expect(report.imports).toEqual([expect.objectContaining({ part: 1, lines: 5, status: 'Finished', faults: 0, report: expect.objectContaining({ newContacts: 5 }) })]);
    const problems = world.dd.received.flatMap(openApiProblems);
    expect(problems).toEqual([]);
    expect(world.dd.received.map((r) => `${r.method} ${r.path}`)).toContain('POST /v2/address-books/4242/contacts/import/with-merge-option/Overwrite');
  });

  it('with changedOnly, a second run sends nothing and a changed contact is sent once', async () => {
    const { statSync, utimesSync } = await import('node:fs');
    const state = join(world.root, 'state', 'loyalty', 'contacts.bin');
    dataset(contacts(20));
    await world.run();
    utimesSync(state, new Date(0), new Date(0));
    const again = await world.run();
    expect(again.rows).toMatchObject({ read: 20, sent: 0, skipped: 20 });
    expect(again.message).toMatch(/^Nothing new to send/);
    expect(world.dd.imports.size).toBe(1);
    expect(statSync(state).mtimeMs).toBe(0); // nothing changed: the state is not written again

    const changed = contacts(20);
    changed[7]![2] = 'platinum';
    world.domo.datasets.get(CONTACTS_DATASET)!.rows = changed;
    const third = await world.run();
    expect(third.rows).toMatchObject({ sent: 1, skipped: 19 });
    const last = [...world.dd.imports.values()].at(-1)!;
    expect(last.rows).toEqual([{ Email: 'member8@example.com', FIRSTNAME: 'Name8', LOYALTYTIER: 'platinum', POINTS: '800', JOINED: '2024-02-29T00:00:00', VIP: 'true' }]);
    expect(statSync(state).mtimeMs).toBeGreaterThan(0);
    expect((await world.run()).rows.sent).toBe(0);
  });

  it('with changedOnly, records every contact of an import larger than one chunk of its fingerprints (8,192)', async () => {
    const rows = contacts(20_000);
    dataset(rows);
    expect((await world.run()).rows).toMatchObject({ sent: 20_000 });
    expect((await world.run()).rows).toMatchObject({ sent: 0, skipped: 20_000 });
    rows[15_000]![2] = 'platinum'; // past the first two chunks: its value must have been recorded with its own email
    expect((await world.run()).rows).toMatchObject({ sent: 1, skipped: 19_999 });
    expect([...world.dd.imports.values()].at(-1)!.rows).toEqual([expect.objectContaining({ Email: 'member15001@example.com', LOYALTYTIER: 'platinum' })]);
  });

  it('keeps the changed-only state bounded: 12 bytes per contact still in the DataSet', async () => {
    const { statSync } = await import('node:fs');
    dataset(contacts(50));
    await world.run();
    expect(statSync(join(world.root, 'state', 'loyalty', 'contacts.bin')).size).toBe(50 * 12);
    world.domo.datasets.get(CONTACTS_DATASET)!.rows = contacts(10);
    await world.run();
    expect(statSync(join(world.root, 'state', 'loyalty', 'contacts.bin')).size).toBe(10 * 12);
  });

  it('rejects bad emails and values with reasons, and reads rejected contacts back from the fault report', async () => {
    const rows = contacts(6);
    rows[1]![0] = 'not-an-email';
    rows[2]![3] = 'lots';
    rows[3]![5] = 'maybe';
    rows[4]![0] = 'someone@invalid.example'; // valid for us, refused by Dotdigital
    dataset(rows);
    const report = await world.run();
    expect(report.status).toBe('succeeded');
    expect(report.rows).toEqual({ read: 6, sent: 2, rejected: 4, skipped: 0 });
    expect(report.rejects).toEqual([
      { row: 2, field: 'email', column: 'email_address', reason: '"n***" is not an email address' }, // masked: emails are personal
      { row: 3, field: 'POINTS', column: 'points', reason: expect.stringContaining('"lots" is not a number') },
      { row: 4, field: 'VIP', column: 'vip', reason: expect.stringContaining('"maybe" is not true or false') },
      { row: 5, field: 'contact', column: 'email', reason: 'Dotdigital: Invalid Entries' },
    ]);
  });

  it('a missing field without create: true fails before sending, naming the field', async () => {
    world.setDefinition(contactsJob(undefined, '      FIRSTNAME: first_name\n      TIER: tier\n'));
    dataset(contacts(3));
    const report = await world.run();
    expect(report.status).toBe('failed');
    expect(report.message).toContain('data field TIER does not exist in Dotdigital; create it there, or write { column: tier, type: String, create: true }');
    expect(world.dd.imports.size).toBe(0);
    expect(world.dd.received.filter((r) => r.method === 'POST')).toEqual([]);
    // The plan says so too, with the columns checked beside it.
    const plan = await runCli(['plan'], { root: world.root, env: world.env });
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain('error: a reconcile would refuse to deliver: data field TIER does not exist in Dotdigital');
    expect(plan.stdout).toContain('  ok  FIRSTNAME <- first_name (STRING)');
  });

  it('a type mismatch is an error', async () => {
    world.setDefinition(contactsJob(undefined, '      FIRSTNAME: { column: first_name, type: Numeric }\n'));
    dataset(contacts(3));
    const report = await world.run();
    expect(report.message).toContain('data field FIRSTNAME is String in Dotdigital but the definition declares Numeric');
  });

  it('watchdog rejection ends in a failed report with the vendor reason, and the next run retries', async () => {
    dataset(contacts(4));
    world.dd.inject({ kind: 'import-status', status: 'RejectedByWatchdog' });
    const report = await world.run();
    expect(report.status).toBe('failed');
    expect(report.message).toContain("ended RejectedByWatchdog: Dotdigital's watchdog rejected the import");
    expect(report.action).toContain('Ask Dotdigital support to review the import');
    expect(world.dd.contacts.size).toBe(0);
    expect((await world.run()).rows.sent).toBe(4);
  });

  it('an unavailable fault report is a warning; those contacts are imported again next run', async () => {
    dataset(contacts(3));
    world.dd.inject({ kind: 'faults-unavailable' }, 3);
    const report = await world.run();
    expect(report.status).toBe('succeeded');
    expect(report.warnings?.[0]).toContain('the fault report of import');
    expect((await world.run()).rows.sent).toBe(3);
  });

  it('uploads each import file while Dotdigital processes the one before, with at most two of its imports active', async () => {
    dataset(contacts(300));
    world.dd.holdImportsActive = true; // every import stays NotFinished until released
    const run = world.run(SMALL_FILES);
    // The second file arrives while the first import is still being processed...
    await vi.waitFor(() => expect(world.dd.imports.size).toBe(2), { timeout: 15_000, interval: 20 });
    // ...and a third waits until the first has ended.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(world.dd.imports.size).toBe(2);
    world.dd.holdImportsActive = false;
    const report = await run;
    expect(report.status, report.message).toBe('succeeded');
    const files = report.imports!.length;
    expect(files).toBeGreaterThan(3);
    expect(report.imports!.map((i) => [i.part, i.status])).toEqual(Array.from({ length: files }, (_, i) => [i + 1, 'Finished']));
    expect([report.rows.sent, world.dd.contacts.size, world.dd.importedCount]).toEqual([300, 300, 300]);
    // Every file's contacts were recorded: nothing is sent again.
    expect((await world.run(SMALL_FILES)).rows).toMatchObject({ sent: 0, skipped: 300 });
  });

  it('a failed import while the next file uploads: the run fails, says the next one started, records nothing, and the next run imports every contact', async () => {
    dataset(contacts(300));
    world.dd.inject({ kind: 'import-status', status: 'Failed' }); // the first import
    const report = await world.run(SMALL_FILES);
    expect(report.status).toBe('failed');
    expect(report.message).toMatch(/^Import 1 of \d+ \(\d+ contacts\) ended Failed: Dotdigital reports the import as failed\. 0 contacts were imported before it\. Import 2 had started meanwhile; it is an upsert/);
    expect(report.imports!.map((i) => i.part)).toEqual([1, 2]); // no third file was sent
    expect(world.dd.imports.size).toBe(2);
    expect(existsSync(join(world.root, 'state', 'loyalty', 'contacts.bin'))).toBe(false);
    const again = await world.run(SMALL_FILES);
    expect(again.status, again.message).toBe('succeeded');
    expect([again.rows.sent, world.dd.contacts.size]).toEqual([300, 300]);
  });

  it('stopped by a signal during an import: that import is waited for, the file uploaded meanwhile is not, no other starts, and nothing is recorded', async () => {
    dataset(contacts(300));
    world.dd.holdImportsActive = true;
    const stop = new AbortController();
    const result = world.run(SMALL_FILES, stop.signal);
    await vi.waitFor(() => expect(world.dd.imports.size).toBe(2), { timeout: 15_000, interval: 20 });
    stop.abort('SIGTERM');
    world.dd.holdImportsActive = false;
    const report = await result;
    expect(report.status).toBe('failed');
    expect(report.message).toMatch(/^Stopped by SIGTERM after 1 of \d+ import\(s\)\. Import 2 was uploaded meanwhile\. Nothing is recorded: the next run imports every contact again/);
    expect(report.imports!.map((i) => [i.part, i.status])).toEqual([
      [1, 'Finished'],
      [2, 'NotFinished'],
    ]);
    expect(world.dd.imports.size).toBe(2);
    expect(existsSync(join(world.root, 'state', 'loyalty', 'contacts.bin'))).toBe(false);
    expect((await world.run(SMALL_FILES)).rows.sent).toBe(300);
  });

  it('an account with 24 other active imports: the file sent ahead is refused once, then the run imports one file at a time', async () => {
    dataset(contacts(300));
    world.occupyImports(24);
    world.dd.holdImportsActive = true; // the first import stays active until the second file was refused
    const run = world.run(SMALL_FILES);
    await vi.waitFor(() => expect(world.importPosts()).toHaveLength(2), { timeout: 15_000, interval: 20 });
    world.dd.holdImportsActive = false;
    const report = await run;
    expect(report.status, report.message).toBe('succeeded');
    const files = report.imports!.length;
    expect(files).toBeGreaterThan(3);
    expect([report.rows.sent, world.dd.contacts.size]).toEqual([300, 300]);
    // One upload refused (the second file, sent while the first was active), none waited for in a loop.
    expect(world.importPosts()).toHaveLength(files + 1);
    expect(world.dd.imports.size).toBe(24 + files);
  });

  it('stopped while the account has 25 active imports: the run stops waiting at once and sends nothing more', async () => {
    dataset(contacts(300));
    world.occupyImports(25);
    const stop = new AbortController();
    const result = world.run(SMALL_FILES, stop.signal);
    await vi.waitFor(() => expect(world.importPosts().length).toBeGreaterThan(0), { timeout: 15_000, interval: 5 });
    stop.abort('SIGTERM');
    const report = await result;
    expect(report.status).toBe('failed');
    expect(report.message).toMatch(/^Stopped by SIGTERM after 0 of \d+ import\(s\)\. Nothing is recorded/);
    expect(world.importPosts().length).toBeLessThanOrEqual(2); // the refused upload, and one already under way at the abort
    expect(world.dd.imports.size).toBe(25);
  });

  it('waits while 25 imports are active (ERROR_IMPORT_TOOMANYACTIVEIMPORTS)', async () => {
    dataset(contacts(2));
    world.occupyImports(25);
    setTimeout(() => world.dd.finishAll(), 300);
    const report = await world.run();
    expect(report.status, report.message).toBe('succeeded');
    expect(world.dd.contacts.size).toBe(2);
  });

  it('honours rate-limit headers: X-RateLimit-Reset as seconds and as an epoch time', async () => {
    dataset(contacts(1));
    world.dd.inject({ kind: 'rate-limit', resetSeconds: 1 });
    const started = performance.now();
    expect((await world.run()).status).toBe('succeeded');
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);

    world.domo.datasets.get(CONTACTS_DATASET)!.rows = contacts(1, 50);
    // As an epoch time two seconds ahead: the retry waits until that second comes (1-2 s from now), not at once.
    const epochAtStart = Math.floor(Date.now() / 1000);
    world.dd.inject({ kind: 'rate-limit', resetSeconds: 2, epoch: true });
    expect((await world.run()).status).toBe('succeeded');
    expect(Date.now()).toBeGreaterThanOrEqual((epochAtStart + 2) * 1000);
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 30) })).toBeGreaterThan(28_000);
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': '30' })).toBe(30_000);
  });

  it('discovers the region through account-info when neither region nor endpoint is given', async () => {
    world.setDefinition(contactsJob(''));
    dataset(contacts(2));
    const report = await world.run({ DOTDIGITAL_API_URL: '', DOTDIGITAL_DISCOVERY_URL: world.dd.url });
    expect(report.status, report.message).toBe('succeeded');
    expect(report.destination).toEqual({ endpoint: `${world.dd.url}/r2`, how: 'discovered through account-info' });
  });

  it('the wrong region answers 403, and the message says what to do', async () => {
    dataset(contacts(2));
    const report = await world.run({ DOTDIGITAL_API_URL: `${world.dd.url}/r3` });
    expect(report.status).toBe('failed');
    expect(report.message).toContain('answered 403: This account is hosted in r2. ERROR_INVALID_REGION The API user may belong to another region');
  });

  it('plan lists the data fields it would create', async () => {
    dataset(contacts(3));
    const { code, stdout } = await runCli(['plan', '--detailed-exitcode'], { root: world.root, env: world.env });
    expect(code).toBe(2);
    expect(stdout).toContain('loyalty (DotdigitalContactsWriteback): 3 contacts to send, 4 data fields to create');
    expect(stdout).toContain('create data field LOYALTYTIER (String)');
    expect(world.dd.dataFields.size).toBe(1);
    expect(stdout).not.toContain(DD_SECRETS.DOTDIGITAL_API_PASSWORD);
    expect(readState).toBeDefined();
  });
});

describe('the changed-only state (state/<name>/contacts.bin)', () => {
  it('saves 12-byte records sorted by email fingerprint, loads them back, and forgets contacts no longer exported', () => {
    const dir = mkdtempSync(join(tmpdir(), 'writeback-contacts-'));
    try {
      const contacts = new ContactFingerprints();
      const keys: [number, number, number][] = Array.from({ length: 5000 }, (_, i) => [(i * 2654435761) >>> 0, (i * 40503 + 7) >>> 0, i]);
      // Keys that share their first 16 bits, many or a few, and some their whole high half: ordered by their low half.
      keys.push(...Array.from({ length: 300 }, (_, i): [number, number, number] => [0xabcd0000 + ((i * 7919) % 64), (0xffffffff - i * 104729) >>> 0, 5000 + i]));
      keys.push(...Array.from({ length: 20 }, (_, i): [number, number, number] => [0x00010000 + (i % 3), i % 2 ? i : 0xf0000000 + i, 5300 + i]));
      // Either side of the quarters of the key space it is written in, and the smallest keys.
      const edges = [0, 0x3fffffff, 0x40000000, 0x7fffffff, 0x80000000, 0xbfffffff, 0xc0000000, 0xffffffff];
      keys.push(...edges.flatMap((hi, e): [number, number, number][] => [[hi, 1, 5320 + e * 2], [hi, 0xffffffff, 5321 + e * 2]]));
      for (const [hi, lo, value] of keys) contacts.record(hi, lo, value + 1);
      contacts.save(dir);
      // A later run records every contact again, changed: its records replace the state's, not add to them.
      const later = ContactFingerprints.load(dir);
      for (const [hi, lo, value] of keys) later.record(hi, lo, value);
      later.save(dir);
      expect(later.size).toBe(5336);

      const file = readFileSync(join(dir, 'contacts.bin'));
      const records = Array.from({ length: file.length / 12 }, (_, i) => [file.readUInt32LE(i * 12), file.readUInt32LE(i * 12 + 4), file.readUInt32LE(i * 12 + 8)]);
      expect(records).toEqual([...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1]));

      const loaded = ContactFingerprints.load(dir);
      expect(keys.every(([hi, lo, value]) => loaded.recorded(hi, lo) === value)).toBe(true);
      // An export that still has the contacts of even values, one of them twice.
      const stillExported = keys.filter(([, , value]) => value % 2 === 0);
      expect(stillExported.every(([hi, lo, value]) => loaded.see(hi, lo) === value)).toBe(true);
      expect(loaded.see(stillExported[0]![0], stillExported[0]![1])).toBe(SEEN_BEFORE);
      expect(loaded.see(0x12345678, 0x9abcdef0)).toBeUndefined(); // a contact it does not hold
      expect(keys.every(([hi, lo, value]) => loaded.seen(hi, lo) === (value % 2 === 0))).toBe(true);
      loaded.retainSeen();
      expect(loaded.size).toBe(2668);
      // The marks are gone with the contacts: asking again before the next export is a caller's mistake, not "nobody seen".
      expect(() => loaded.seen(keys[0]![0], keys[0]![1])).toThrow(/marks were dropped/);
      loaded.record(1, 2, 3);
      expect(keys.every(([hi, lo, value]) => (loaded.recorded(hi, lo) === value) === (value % 2 === 0))).toBe(true);
      expect(loaded.recorded(1, 2)).toBe(3);
      // Recording changes the state under an export's marks, whether or not any contact was marked yet.
      const marked = ContactFingerprints.load(dir);
      marked.newExport();
      marked.see(keys[0]![0], keys[0]![1]);
      marked.record(7, 8, 9);
      expect(() => marked.seen(keys[0]![0], keys[0]![1])).toThrow(/marks were dropped/);
      const unmarked = ContactFingerprints.load(dir);
      unmarked.newExport();
      unmarked.record(7, 8, 9);
      expect(() => unmarked.retainSeen()).toThrow(/marks were dropped/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('saves an empty file once every contact left, and reads it back as empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'writeback-contacts-'));
    try {
      const contacts = new ContactFingerprints();
      contacts.record(0, 0, 9); // the one key the table cannot hold as it is (0,0 marks an empty slot)
      contacts.save(dir);
      expect(readFileSync(join(dir, 'contacts.bin')).toString('hex')).toBe('00000000' + '01000000' + '09000000');
      contacts.newExport();
      contacts.retainSeen(); // an export without it
      contacts.save(dir);
      expect(readFileSync(join(dir, 'contacts.bin')).length).toBe(0);
      expect(ContactFingerprints.load(dir).size).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
