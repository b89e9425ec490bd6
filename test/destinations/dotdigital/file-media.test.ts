import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileMedia } from '../../../src/destinations/dotdigital/client.ts';

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
});
