/**
 * What `WRITEBACK_EMARSYS_GZIP=true` saves: one upload-sized Emarsys file (BENCH_GZIP_MB, default 20 MB of
 * sales lines) sent to the Emarsys emulator over a link of BENCH_UPLOAD_MBIT (default 100 Mbit/s, a modest
 * uplink), plain and gzip-compressed, taking turns BENCH_RUNS times. Prints wall time, bytes on the wire and
 * the processor time the compression costs.
 */
import { mkdtempSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmarsysEmulator } from '../src/emulators/emarsys.ts';
import { EmarsysSalesClient } from '../src/destinations/emarsys/client.ts';
import { HttpClient } from '../src/http/client.ts';
import { Redactor } from '../src/http/redact.ts';
import { salesRows } from '../src/demo/sample-data.ts';

export async function measureGzip(): Promise<string[]> {
  const mb = Number(process.env.BENCH_GZIP_MB) || 20;
  const mbit = Number(process.env.BENCH_UPLOAD_MBIT) || 100;
  const turns = Number(process.env.BENCH_RUNS) || 3;
  const dir = mkdtempSync(join(tmpdir(), 'writeback-gzip-'));
  const file = join(dir, 'part.csv');
  const lines = ['item,price,order,timestamp,customer,quantity,s_channel,f_discount'];
  for (let at = Date.now(); lines.join('\n').length < mb * 1024 * 1024; ) {
    for (const r of salesRows({ lines: 20_000, from: at, to: at + 86_400_000, seed: lines.length })) lines.push([r[3], r[4], r[0], `${r[1]}Z`, r[2], r[5], /[,"]/.test(r[6]!) ? `"${r[6]!.replace(/"/g, '""')}"` : r[6], r[7] ?? ''].join(','));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  const bytes = statSync(file).size;
  const emarsys = new EmarsysEmulator({ M: 'token' });
  emarsys.keepLines = false; // the header is checked and the lines counted: the emulator costs no more than the link
  emarsys.bandwidth = (mbit * 1_000_000) / 8;
  await emarsys.start();
  const times: Record<'plain' | 'gzip', number[]> = { plain: [], gzip: [] };
  let gzipCpu = 0;
  let gzipBytes = 0;
  try {
    for (let turn = 0; turn < turns; turn++) {
      for (const mode of ['plain', 'gzip'] as const) {
        rmSync(`${file}.gz`, { force: true });
        const client = new EmarsysSalesClient(new HttpClient({ service: 'Emarsys', baseUrl: emarsys.url, redactor: new Redactor(), timeoutMs: 600_000 }), 'M', 'token', mode === 'gzip');
        const before = emarsys.bytesReceived;
        const cpu = process.cpuUsage();
        const started = performance.now();
        await client.upload({ path: file, bytes });
        times[mode].push((performance.now() - started) / 1000);
        if (mode === 'gzip') {
          const used = process.cpuUsage(cpu);
          gzipCpu = (used.user + used.system) / 1e6;
          gzipBytes = emarsys.bytesReceived - before;
        }
      }
    }
  } finally {
    await emarsys.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;
  const loaded = emarsys.loads.filter((l) => l.status === 'loaded').length;
  return [
    `Emarsys upload of ${(bytes / 1024 / 1024).toFixed(1)} MB (${(lines.length - 1).toLocaleString('en-US')} lines) over ${mbit} Mbit/s, ${turns} turns each: median (range)`,
    `plain                                ${median(times.plain).toFixed(2)} s  (${range(times.plain)})  ${(bytes / 1024 / 1024).toFixed(1)} MB on the wire`,
    `gzip (WRITEBACK_EMARSYS_GZIP=true)   ${median(times.gzip).toFixed(2)} s  (${range(times.gzip)})  ${(gzipBytes / 1024 / 1024).toFixed(1)} MB on the wire, ${gzipCpu.toFixed(2)} s cpu (compression and send)`,
    `gzip saves ${(median(times.plain) - median(times.gzip)).toFixed(2)} s per upload (${((1 - median(times.gzip) / median(times.plain)) * 100).toFixed(0)}%); ${loaded} of ${turns * 2} files loaded`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) for (const line of await measureGzip()) console.log(line);
