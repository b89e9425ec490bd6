/**
 * The disk under a run: full while spooling or while writing the state (ENOSPC, injected into node:fs),
 * and durable before an upload (the state directory is fsynced after its files are renamed into place).
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const disk = vi.hoisted(() => ({
  /** Fails a write with ENOSPC when it says so, given the file's path and the bytes. */
  full: undefined as undefined | ((path: string, bytes: Buffer) => boolean),
  log: [] as string[],
  paths: new Map<number, string>(),
}));

const require = createRequire(import.meta.url);

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const openSync = ((path: string, ...rest: unknown[]) => {
    const fd = (fs.openSync as (...args: unknown[]) => number)(path, ...rest);
    disk.paths.set(fd, String(path));
    return fd;
  }) as typeof fs.openSync;
  const writeSync = ((fd: number, data: unknown, ...rest: unknown[]) => {
    const path = disk.paths.get(fd) ?? '';
    if (disk.full?.(path, Buffer.isBuffer(data) ? data : Buffer.from(String(data)))) {
      throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    }
    return (fs.writeSync as (...args: unknown[]) => number)(fd, data, ...rest);
  }) as typeof fs.writeSync;
  const renameSync = ((from: string, to: string) => {
    disk.log.push(`rename ${to}`);
    return fs.renameSync(from, to);
  }) as typeof fs.renameSync;
  const fsyncSync = ((fd: number) => {
    disk.log.push(`fsync ${disk.paths.get(fd)}`);
    return fs.fsyncSync(fd);
  }) as typeof fs.fsyncSync;
  // Streams writing a file that is full error on their first write, as fs streams do on ENOSPC.
  const createWriteStream = ((path: string, ...rest: unknown[]) => {
    if (!disk.full?.(String(path), Buffer.alloc(0))) return (fs.createWriteStream as (...args: unknown[]) => unknown)(path, ...rest);
    const { Writable } = require('node:stream') as typeof import('node:stream');
    return new Writable({ write: (_chunk, _encoding, done) => done(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })) });
  }) as typeof fs.createWriteStream;
  const patched = { openSync, writeSync, renameSync, fsyncSync, createWriteStream };
  return { ...fs, ...patched, default: { ...fs, ...patched } };
});

const { reconcile } = await import('../../src/reconcile/reconciler.ts');
const { COLUMNS, DATASET_ID, lines, salesJob, useWorld } = await import('../helpers/world.ts');

const WINDOWED = '  delivery:\n    cursor: ordered_at\n    lookback: 3d\n';

describe('a full disk', () => {
  const world = useWorld();
  let spoolRoot: string;
  const savedTmp = process.env.TMPDIR;
  beforeEach(() => {
    spoolRoot = mkdtempSync(join(tmpdir(), 'writeback-disk-'));
    process.env.TMPDIR = spoolRoot;
    disk.full = undefined;
    disk.log.length = 0;
  });
  afterEach(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    disk.full = undefined;
  });
  const runAll = () => reconcile({ root: world.root, env: world.env, only: [], force: true, dryRun: false, log: () => {} });

  it('while spooling fails that job clearly, cleans up, and lets the other jobs deliver', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    world.domo.addDataSet({ id: 'ds-other', name: 'other', columns: COLUMNS, rows: lines(4, Date.parse('2026-11-20T08:00:00Z'), 500) });
    writeFileSync(join(world.root, 'connectors', 'other.yaml'), salesJob(WINDOWED).replace('name: sales', 'name: other').replace(DATASET_ID, 'ds-other'));
    let spooled = '';
    disk.full = (path) => {
      const dir = /writeback-spool-[^/]+/.exec(path)?.[0];
      if (dir && !spooled) spooled = dir; // the first job's spool (jobs run in name order: other, then sales)
      return dir !== undefined && dir === spooled;
    };
    const { reports } = await runAll();
    expect(reports.map((r) => [r.name, r.status])).toEqual([['other', 'failed'], ['sales', 'succeeded']]);
    expect(reports[0]!.message).toMatch(/^could not spool the export to .*: the disk is full \(ENOSPC\)\. Free space or fix the permissions on the runner/);
    expect(world.emarsys.accepted.map((l) => l.record.order).sort()).toEqual(['O-1', 'O-2', 'O-3', 'O-4', 'O-5']);
    expect(readdirSync(spoolRoot)).toEqual([]); // spools removed
    expect(readdirSync(join(world.root, 'state')).filter((f) => /lock|tmp/.test(f))).toEqual([]);
  });

  it('while recording the delivery intent sends nothing and marks nothing delivered; the next run delivers once', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    disk.full = (path, bytes) => path.includes(join('state', 'sales.json.tmp-')) && bytes.includes('"pending"');
    const [report] = (await runAll()).reports;
    expect(report!.status).toBe('failed');
    expect(report!.message).toContain('could not write state/sales.json: the disk is full (ENOSPC)');
    expect(world.emarsys.uploads).toBe(0);
    expect(readdirSync(join(world.root, 'state', 'sales'))).toEqual([]); // the intent's segment went too
    expect(readdirSync(join(world.root, 'state')).filter((f) => /lock|tmp/.test(f))).toEqual([]);
    disk.full = undefined;
    expect((await runAll()).reports[0]!.rows.sent).toBe(5);
    expect(world.emarsys.duplicates()).toEqual([]);
  });

  it('while compressing an upload (WRITEBACK_EMARSYS_GZIP) fails before the intent: the next run is not held', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    disk.full = (path) => path.endsWith('.gz.tmp');
    const env = { ...world.env, WRITEBACK_EMARSYS_GZIP: 'true' };
    const [report] = (await reconcile({ root: world.root, env, only: [], force: true, dryRun: false, log: () => {} })).reports;
    expect(report!.status).toBe('failed');
    expect(report!.message).toContain('could not compress the upload: the disk is full (ENOSPC)');
    expect(JSON.parse(readFileSync(join(world.root, 'state', 'sales.json'), 'utf8')).pending).toBeUndefined();
    disk.full = undefined;
    const [next] = (await reconcile({ root: world.root, env, only: [], force: true, dryRun: false, log: () => {} })).reports;
    expect(next).toMatchObject({ status: 'succeeded', rows: { sent: 5 } });
  });

  it('the state directory is fsynced after its files are renamed into place, before the upload starts', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(3) });
    const requests = world.emarsys.server.requests;
    const push = requests.push.bind(requests);
    requests.push = (...items) => {
      disk.log.push('upload');
      return push(...items);
    };
    await runAll();
    const upload = disk.log.indexOf('upload');
    const state = join(world.root, 'state');
    const beforeUpload = disk.log.slice(0, upload);
    const lastStateRename = beforeUpload.lastIndexOf(`rename ${join(state, 'sales.json')}`);
    const segmentRename = beforeUpload.findIndex((op) => op.startsWith(`rename ${join(state, 'sales', 'ledger-')}`));
    expect(lastStateRename).toBeGreaterThan(-1);
    expect(beforeUpload.indexOf(`fsync ${state}`, lastStateRename)).toBeGreaterThan(lastStateRename);
    expect(beforeUpload.indexOf(`fsync ${join(state, 'sales')}`, segmentRename)).toBeGreaterThan(segmentRename);
  });
});
