import { describe, expect, it } from 'vitest';
import { ImportUploads } from '../../../src/destinations/dotdigital/import-uploads.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));
const busy = () => Object.assign(new Error('Too many active imports'), { code: 'ERROR_IMPORT_TOOMANYACTIVEIMPORTS' });

/** An upload function that records its calls ("k now" or "k ahead") and answers as `answer` says. */
function uploads(answer: (k: number, ahead: boolean) => Promise<string> = async (k) => `import-${k}`) {
  const calls: string[] = [];
  const upload = (k: number, ahead: boolean) => {
    calls.push(`${k} ${ahead ? 'ahead' : 'now'}`);
    return answer(k, ahead);
  };
  return { calls, upload };
}

describe('ImportUploads', () => {
  it('sends each next file ahead while the one before is followed, never two ahead', async () => {
    const { calls, upload } = uploads();
    const files = new ImportUploads(3, upload);
    expect(await files.take(0)).toBe('import-0');
    expect(calls).toEqual(['0 now', '1 ahead']); // file 2 waits until file 1 is taken
    files.finished(0);
    expect(await files.take(1)).toBe('import-1');
    files.finished(1);
    expect(await files.take(2)).toBe('import-2');
    files.finished(2);
    expect(calls).toEqual(['0 now', '1 ahead', '2 ahead']);
    expect(await files.uploadedMeanwhile()).toBe(false);
  });

  it('a file refused ahead (the account busy) is sent again in its turn, and the rest one at a time', async () => {
    const { calls, upload } = uploads(async (k, ahead) => {
      if (ahead) throw busy();
      return `import-${k}`;
    });
    const files = new ImportUploads(3, upload);
    expect(await files.take(0)).toBe('import-0');
    files.finished(0);
    expect(await files.take(1)).toBe('import-1');
    expect(calls).toEqual(['0 now', '1 ahead', '1 now']); // nothing sent ahead any more
    files.finished(1);
    expect(await files.take(2)).toBe('import-2');
    expect(calls).toEqual(['0 now', '1 ahead', '1 now', '2 now']);
    // A refused file is no file uploaded meanwhile.
    const refused = new ImportUploads(2, uploads(async (k, ahead) => {
      if (ahead) throw busy();
      return `import-${k}`;
    }).upload);
    expect(await refused.take(0)).toBe('import-0');
    expect(await refused.uploadedMeanwhile()).toBe(false);
  });

  it('one file at a time, a stop after a file ended sends no next one', async () => {
    const stop = new AbortController();
    const { calls, upload } = uploads(async (k, ahead) => {
      if (ahead) throw busy();
      return `import-${k}`;
    });
    const files = new ImportUploads(3, upload, stop.signal);
    expect(await files.take(0)).toBe('import-0');
    files.finished(0);
    expect(await files.take(1)).toBe('import-1');
    stop.abort('SIGTERM');
    files.finished(1);
    expect(await files.take(2)).toBeUndefined();
    expect(calls).toEqual(['0 now', '1 ahead', '1 now']);
  });

  it('once stopped, starts nothing, and says whether a file was uploaded that the run did not follow', async () => {
    const stop = new AbortController();
    const { calls, upload } = uploads();
    const files = new ImportUploads(3, upload, stop.signal);
    expect(await files.take(0)).toBe('import-0');
    stop.abort('SIGTERM');
    expect(await files.take(1)).toBeUndefined();
    expect(await files.uploadedMeanwhile()).toBe(true); // file 1, sent ahead before the stop
    files.finished(1);
    expect(calls).toEqual(['0 now', '1 ahead']);

    // Stopped while the account was busy: nothing was uploaded, and the refusal is no error.
    const busyStop = new AbortController();
    const waiting = new ImportUploads(1, async () => {
      await tick(); // while take waits for it
      busyStop.abort('SIGTERM');
      throw busy();
    }, busyStop.signal);
    expect(await waiting.take(0)).toBeUndefined();
    expect(await waiting.uploadedMeanwhile()).toBe(false);

    // Stopped while the file was uploading: it is at Dotdigital, but not followed.
    const lateStop = new AbortController();
    const late = new ImportUploads(2, async (k) => {
      await tick();
      lateStop.abort('SIGTERM');
      return `import-${k}`;
    }, lateStop.signal);
    expect(await late.take(0)).toBeUndefined();
    expect(await late.uploadedMeanwhile()).toBe(true);
  });

  it('an upload that fails for another reason fails where it is taken, and an upload under way is waited for', async () => {
    const { upload } = uploads(async (k) => {
      if (k === 1) throw new Error('HTTP 500');
      return `import-${k}`;
    });
    const files = new ImportUploads(2, upload);
    expect(await files.take(0)).toBe('import-0');
    await tick(); // the failure of file 1, sent ahead, is not reported as unhandled meanwhile
    await tick();
    await files.settle();
    await expect(files.take(1)).rejects.toThrow('HTTP 500');
  });
});
