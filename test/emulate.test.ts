/**
 * `writeback emulate`: the emulators serve a team's own CSV files to its own connectors, and another
 * process, given only the printed export lines, plans and reconciles against them; bad arguments and bad
 * CSV files are named with their file and line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { emulateCommand, exportLine, parseDataSetArgs } from '../src/commands/emulate.ts';
import { csvDataSet, inferType } from '../src/emulators/csv-dataset.ts';
import { WritebackError } from '../src/errors/index.ts';
import { scratchRepo } from './helpers/repo.ts';

const BIN = fileURLToPath(new URL('../bin/writeback.js', import.meta.url));
const SALES_ID = 'c0ffee00-1111-2222-3333-444455556666';
const MEMBERS_ID = 'c0ffee00-4444-5555-6666-777788889999';

const SALES_YAML = `apiVersion: writeback/v1
kind: EmarsysSalesWriteback
metadata:
  name: shop-sales
spec:
  schedule: "17 5 * * *"
  source:
    domo: { datasetId: ${SALES_ID}, clientId: { secret: SHOP_DOMO_ID }, clientSecret: { secret: SHOP_DOMO_SECRET } }
  destination:
    emarsysSales: { merchantId: { secret: SHOP_MERCHANT }, token: { secret: SHOP_SALES_TOKEN } }
  mapping: { order: order_id, timestamp: ordered_at, customer: customer_id, item: sku, price: line_total, quantity: qty, custom: { s_channel: channel } }
  fieldOrder: [item, price, order, timestamp, customer, quantity, s_channel]
  delivery: { cursor: ordered_at, lookback: 3d, key: [order, item] }
`;

const MEMBERS_YAML = `apiVersion: writeback/v1
kind: DotdigitalContactsWriteback
metadata:
  name: members
spec:
  source:
    domo: { datasetId: ${MEMBERS_ID}, clientId: { secret: SHOP_DOMO_ID }, clientSecret: { secret: SHOP_DOMO_SECRET } }
  destination:
    dotdigital: { username: { secret: DD_USER }, password: { secret: DD_PASSWORD }, region: r1, addressBookId: 42 }
  mapping:
    email: email_address
    dataFields: { FIRSTNAME: first_name, TIER: { column: tier, type: String, create: true } }
  delivery: { changedOnly: true }
`;

const SECRETS = ['SHOP_DOMO_ID', 'SHOP_DOMO_SECRET', 'SHOP_MERCHANT', 'SHOP_SALES_TOKEN', 'DD_USER', 'DD_PASSWORD'];

/** Domo's zone-less DATETIME, `hours` ago (inside the lookback, never in the future). */
const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString().slice(0, 19);

function salesCsv(): string {
  return [
    'order_id,ordered_at,customer_id,sku,line_total,qty,channel',
    `WS-1,${hoursAgo(30)},C00001,SKU-0001,19.90,1,web`,
    `WS-1,${hoursAgo(30)},C00001,SKU-0002,5.00,2,web`,
    `WS-2,${hoursAgo(20)},C00002,SKU-0003,42.00,1,"store, Berlin"`,
    `WS-3,${hoursAgo(10)},C00003,SKU-0001,19.90,3,\\N`,
    '',
  ].join('\n');
}
const MEMBERS_CSV = 'email_address,first_name,tier\nann@example.com,Ann,gold\nbob@example.com,\\N,silver\ncarl@example.com,Carl,bronze\n';

/** The environment of a terminal without this process's settings or secrets. */
function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(WRITEBACK|GITHUB|ACTIONS|RUNNER|DOMO|EMARSYS|DOTDIGITAL)_/.test(name) || SECRETS.includes(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function cli(args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function waitFor(what: string, ready: () => boolean, running: Running, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ready()) {
    if (running.child.exitCode !== null) throw new Error(`emulate exited (${running.child.exitCode}) before ${what}:\n${running.stderr()}`);
    if (Date.now() > until) throw new Error(`no ${what} after ${ms} ms:\n${running.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The variables of `export NAME=value` lines (values plain or single-quoted, as exportLine writes them). */
function parseExports(stdout: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of stdout.split('\n').filter(Boolean)) {
    const match = /^export ([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`standard output holds more than export lines: ${line}`);
    const raw = match[2]!;
    vars[match[1]!] = raw.startsWith("'") ? raw.slice(1, -1).replace(/'\\''/g, "'") : raw;
  }
  return vars;
}

describe('writeback emulate, from another process', () => {
  it('serves the CSV files to the connectors: a reconcile in another process sends every line and contact once, and Ctrl-C stops it with exit 0', async () => {
    const root = scratchRepo({ 'connectors/shop-sales.yaml': SALES_YAML, 'connectors/members.yaml': MEMBERS_YAML, 'data/sales.csv': salesCsv(), 'data/members.csv': MEMBERS_CSV });
    const emulate = cli(['emulate', '--root', root, '--dataset', `${SALES_ID}=${join(root, 'data/sales.csv')}`, '--dataset', `${MEMBERS_ID}=${join(root, 'data/members.csv')}`], bareEnv());
    await waitFor('"Ctrl-C" on standard error', () => emulate.stderr().includes('Ctrl-C'), emulate);
    await waitFor('the export lines', () => SECRETS.every((name) => emulate.stdout().includes(`export ${name}=`)) && emulate.stdout().endsWith('\n'), emulate);

    const vars = parseExports(emulate.stdout());
    for (const name of ['DOMO_API_URL', 'EMARSYS_SALES_API_URL', 'DOTDIGITAL_API_URL']) expect(vars[name]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const name of SECRETS) expect(vars[name], name).toMatch(/^emulated-/);
    expect(emulate.stderr()).toContain(`${SALES_ID}  "sales" from`);
    expect(emulate.stderr()).toMatch(/ordered_at DATETIME, customer_id STRING, sku STRING, line_total DECIMAL, qty LONG, channel STRING/);

    const reconcile = async () => {
      const run = cli(['reconcile', '--force'], bareEnv(vars)); // WRITEBACK_ROOT says where
      const code = await run.exit;
      return { code, stdout: run.stdout(), stderr: run.stderr() };
    };
    const first = await reconcile();
    expect(first.stderr).toBe(`writeback: working on ${join(root, '.writeback', 'emulate')} (WRITEBACK_ROOT, as writeback emulate exported it; unset it to work on the repository)\n`);
    expect(first.stdout).toContain('shop-sales: succeeded: Sent 4 lines in 1 upload(s); 0 rows skipped, 0 rejected.');
    expect(first.stdout).toContain('members: succeeded: Imported 3 contacts in 1 file(s)');
    expect(first.code).toBe(0);

    // The runs kept their state in the scratch copy, never in the repository's own state/.
    expect(vars.WRITEBACK_ROOT).toBe(join(root, '.writeback', 'emulate'));
    expect(existsSync(join(root, '.writeback', 'emulate', 'state', 'shop-sales.json'))).toBe(true);
    expect(existsSync(join(root, 'state'))).toBe(false);

    const second = await reconcile();
    expect(second.stdout).toContain('shop-sales: succeeded: Nothing new to send: 4 rows read, 4 skipped, 0 rejected.');
    expect(second.stdout).toContain('members: succeeded: Nothing new to send: 3 rows read, 3 unchanged or repeated, 0 rejected.');
    expect(second.code).toBe(0);

    // What the emulators received is told on standard error as it happens.
    await waitFor('the Emarsys load', () => emulate.stderr().includes('4 lines loaded'), emulate);
    await waitFor('the Dotdigital import', () => emulate.stderr().includes('import of 3 contacts into address book 42: Finished: 3 new'), emulate);
    expect(emulate.stderr()).toContain('Dotdigital: data field TIER (String) created');
    // The second run read only its window: its queries are told too.
    await waitFor('the window query', () => /Domo: query answered: SELECT `ordered_at`, .* FROM table WHERE \(`ordered_at` >= '/.test(emulate.stderr()), emulate);
    expect(emulate.stderr()).toContain('Domo: query answered: SELECT COUNT(*) FROM table WHERE (`ordered_at` >= ');

    emulate.child.kill('SIGINT');
    expect(await emulate.exit).toBe(0);
    expect(emulate.stderr()).toContain('Domo served 3 export(s) and answered 2 query(ies); Emarsys loaded 4 lines in 1 upload(s); Dotdigital holds 3 contacts after 1 import(s)');
  }, 90_000);

  it.each([
    [['--dataset', 'sales.csv'], '--dataset "sales.csv" has no "="; write it as ID=FILE.csv', 2],
    [['--dataset', `${SALES_ID}=/nonexistent/sales.csv`], `--dataset ${SALES_ID}=/nonexistent/sales.csv: cannot read /nonexistent/sales.csv (no such file)`, 2],
    [['--dataset', `${SALES_ID}=BAD_CSV`], 'bad.csv:3: 2 field(s), but the header names 3 column(s)', 1],
  ])('refuses %j with a clear message and its exit code', async (args, message, exitCode) => {
    const root = scratchRepo({ 'connectors/shop-sales.yaml': SALES_YAML, 'bad.csv': 'a,b,c\n1,2,3\n4,5\n' });
    const run = cli(['emulate', '--root', root, ...args.map((a) => a.replace('BAD_CSV', join(root, 'bad.csv')))], bareEnv());
    const code = await run.exit;
    expect(run.stderr()).toContain(message);
    expect(run.stderr()).not.toMatch(/\n\s+at /); // no stack trace
    expect(run.stdout()).toBe('');
    expect(code).toBe(exitCode);
  }, 30_000);
});

describe('writeback emulate, in process', () => {
  const capture = (root: string) => {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { root, env: bareEnv(), out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
  };

  it('notes a DataSet no connector reads, a connector without its DataSet and a column the file lacks, and stops when the signal aborts', async () => {
    const root = scratchRepo({ 'connectors/shop-sales.yaml': SALES_YAML, 'connectors/members.yaml': MEMBERS_YAML });
    writeFileSync(join(root, 'sales.csv'), salesCsv().replace('channel', 'sales_channel'));
    writeFileSync(join(root, 'other.csv'), 'a,b\n1,2\n');
    const { io, out, err } = capture(root);
    const controller = new AbortController();
    const done = emulateCommand(io, { datasets: [`${SALES_ID}=${join(root, 'sales.csv')}`, `other=${join(root, 'other.csv')}`], signal: controller.signal });
    for (let i = 0; i < 200 && !err.some((l) => l.includes('Ctrl-C')); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    const text = err.join('\n');
    expect(text).toContain(`note: members reads DataSet ${MEMBERS_ID}, which no --dataset serves`);
    expect(text).toContain('note: shop-sales reads column channel (for s_channel), which');
    expect(text).toContain('note: DataSet other (');
    expect(out.every((line) => line.startsWith('export '))).toBe(true);
    expect(out.map((line) => line.split('=')[0])).toEqual(expect.arrayContaining(SECRETS.map((name) => `export ${name}`)));
    controller.abort();
    expect(await done).toBe(0);
  });

  it.each([
    ['a,b\n1,"unclosed\n2,3\n', 'x.csv:2: a quoted field starts here and is never closed'],
    ['a,b\n1,2\n\n3,4,5\n', 'x.csv:4: 3 field(s), but the header names 2 column(s)'],
    ['a,b\n1,2\n"x"y,3\n', 'x.csv:3: a quoted field goes on after its closing quote'],
    ['a,a\n1,2\n', 'x.csv:1: column "a" is named twice (columns 1 and 2)'],
    ['a,,c\n1,2,3\n', 'x.csv:1: column 2 of the header has no name'],
    ['a;b;c\n1;2;3\n', 'x.csv:1: the header is one column "a;b;c": the file seems separated by semicolons'],
    ['', 'x.csv:1: the file is empty'],
    [Buffer.from([0x61, 0x0a, 0x31, 0x0a, 0xff, 0x0a]), 'x.csv:3: not UTF-8 text'],
  ])('names the file and line of a bad CSV file (%#)', (content, message) => {
    const root = scratchRepo({ 'x.csv': content });
    expect(() => csvDataSet({ id: 'ds', file: 'x.csv', path: join(root, 'x.csv') })).toThrow(message);
  });

  it('reads \\N unquoted as Domo null, "\\N" quoted as text, a BOM away, and infers types as Domo does', () => {
    const root = scratchRepo({ 'x.csv': '\uFEFFid,at,day,price,zip,text\n1,2026-11-21T10:12:40,2026-11-21,1.50,00123,\\N\n2,2026-11-21 10:12:41,\\N,2,01234,"\\N"\n' });
    const ds = csvDataSet({ id: 'ds', file: 'x.csv', path: join(root, 'x.csv') });
    expect(ds.columns).toEqual([
      { name: 'id', type: 'LONG' },
      { name: 'at', type: 'DATETIME' },
      { name: 'day', type: 'DATE' },
      { name: 'price', type: 'DECIMAL' },
      { name: 'zip', type: 'STRING' },
      { name: 'text', type: 'STRING' },
    ]);
    expect(ds.rows).toEqual([
      ['1', '2026-11-21T10:12:40', '2026-11-21', '1.50', '00123', null],
      ['2', '2026-11-21 10:12:41', null, '2', '01234', '\\N'],
    ]);
    expect(inferType(['2026-11-21T10:12:40Z'])).toBe('STRING'); // Domo's DATETIME has no zone
    expect(inferType([null, ''])).toBe('STRING');
    expect(inferType(['1,234.50'])).toBe('STRING');
  });

  it('refuses --dataset arguments that are not ID=FILE, twice the same id, swapped sides, or none at all', async () => {
    const bad = (args: string[]) => () => parseDataSetArgs(args);
    expect(bad(['=x.csv'])).toThrow('--dataset "=x.csv" has no DataSet id before "="');
    expect(bad(['ds='])).toThrow('--dataset "ds=" names no file after "="');
    expect(bad(['ds=a.csv', 'ds=b.csv'])).toThrow('--dataset ds is given twice (a.csv and b.csv)');
    expect(bad(['sales.csv=ds'])).toThrow('the file comes after "=", the DataSet id before it (--dataset ds=sales.csv)');
    const root = scratchRepo({ 'connectors/shop-sales.yaml': SALES_YAML });
    await expect(emulateCommand(capture(root).io, { datasets: [] })).rejects.toThrow(`give at least one --dataset ID=FILE.csv: the DataSet id a connector reads and a CSV file whose first line names the columns (the connectors in connectors/ read ${SALES_ID})`);
    await expect(emulateCommand(capture(root).io, { datasets: ['ds=x.csv'], port: 'eighty' })).rejects.toBeInstanceOf(WritebackError);
  });

  it('quotes values a shell would otherwise split or expand', () => {
    expect(exportLine({ name: 'A', value: 'http://127.0.0.1:80' })).toBe('export A=http://127.0.0.1:80');
    expect(exportLine({ name: 'B', value: `{"x":"it's $HOME"}` })).toBe(`export B='{"x":"it'\\''s $HOME"}'`);
  });
});
