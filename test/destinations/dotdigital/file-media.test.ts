import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DotdigitalClient, fileMedia } from '../../../src/destinations/dotdigital/client.ts';
import { DotdigitalEmulator } from '../../../src/emulators/dotdigital.ts';
import { HttpClient } from '../../../src/http/client.ts';
import { Redactor } from '../../../src/http/redact.ts';

const dir = mkdtempSync(join(tmpdir(), 'file-media-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function body(content: Buffer, name = 'job-run-1.csv'): Promise<{ text: string; length: number }> {
  const path = join(dir, 'part.csv');
  writeFileSync(path, content);
  const media = fileMedia(name, content.length);
  const chunks: Buffer[] = [];
  for await (const chunk of media.chunks(path)) chunks.push(chunk);
  return { text: Buffer.concat(chunks).toString('utf8'), length: media.length };
}

describe("the import's JSON file media, streamed from the part file", () => {
  it('is the JSON {fileName, data: base64} with the length announced, at every remainder of 3 and across read chunks', async () => {
    const big = Buffer.alloc(3 * 256 * 1024 * 2 + 5, 0);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 256;
    for (const content of [Buffer.alloc(0), Buffer.from('E'), Buffer.from('Em'), Buffer.from('Ema'), Buffer.from('Email\nanna@example.com\n'), big]) {
      const { text, length } = await body(content, 'loyalty "contacts".csv');
      expect(JSON.parse(text)).toEqual({ fileName: 'loyalty "contacts".csv', data: content.toString('base64') });
      expect(Buffer.byteLength(text)).toBe(length);
    }
  });

  it("reaches the emulator whole, which counts a million contacts' worth as they stream in (the bench's count-only mode)", async () => {
    const dotdigital = new DotdigitalEmulator('user', 'password');
    dotdigital.keepContacts = false;
    dotdigital.pollsUntilFinished = 0;
    await dotdigital.start();
    try {
      const client = new DotdigitalClient(new HttpClient({ service: 'Dotdigital', baseUrl: dotdigital.apiEndpoint, redactor: new Redactor(), retryBaseMs: 5 }), 'user', 'password');
      const lines = Array.from({ length: 60_000 }, (_, i) => `member${i}@example.com,Member ${i}`); // 2 MB: many chunks on both sides
      for (const [content, contacts] of [[`Email,FIRSTNAME\n${lines.join('\n')}\n`, 60_000], [`Email,FIRSTNAME\n${lines.slice(0, 2).join('\n')}`, 2]] as const) {
        const path = join(dir, 'import.csv');
        writeFileSync(path, content);
        const before = dotdigital.importedCount;
        const { id } = await client.startImport({ path, bytes: Buffer.byteLength(content) }, 'job-run-1.csv', 'OnlyOverwriteIfNotEmpty');
        expect((await client.importStatus(id)).status).toBe('Finished');
        expect(dotdigital.importedCount - before).toBe(contacts);
      }
    } finally {
      await dotdigital.stop();
    }
  });
});
