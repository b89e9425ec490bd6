/**
 * A run's import files, uploaded in order, each next one sent while Dotdigital processes the one before: at
 * most two of the run's imports are active, and an upload need not wait for the import ahead of it. The
 * file sent ahead does not wait while the account has 25 active imports: refused, it is sent again in its
 * turn, and the run goes on one file at a time. Once the run is stopped no upload starts, and one under way
 * ends before the run does.
 */

/** What a file sent ahead of its turn answers when the account has 25 active imports. */
const BUSY = 'busy';
const isBusy = (error: unknown) => (error as { code?: string }).code === 'ERROR_IMPORT_TOOMANYACTIVEIMPORTS';

export class ImportUploads<T> {
  private overlap = true;
  /** The next file's upload, sent in its turn or ahead of it; undefined: none under way. */
  private pending: Promise<T | typeof BUSY | undefined> | undefined;
  /** The run was stopped after the file `take` waited for had been uploaded. */
  private uploadedWhenStopped = false;

  constructor(
    private readonly files: number,
    /** Uploads file k (from 0); `ahead`: without waiting while the account has 25 active imports. */
    private readonly upload: (k: number, ahead: boolean) => Promise<T>,
    private readonly signal?: AbortSignal,
  ) {
    this.pending = this.send(0, false);
  }

  /** File k's import once uploaded (while uploads overlap, the file after it is then sent ahead); undefined once the run is stopped. */
  async take(k: number): Promise<T | undefined> {
    if (!this.pending || this.signal?.aborted) return undefined;
    let answer = await this.pending;
    if (answer === BUSY) {
      this.overlap = false;
      answer = await this.send(k, false);
    }
    this.pending = undefined;
    if (answer === undefined || answer === BUSY) return undefined;
    if (this.signal?.aborted) {
      this.uploadedWhenStopped = true;
      return undefined;
    }
    if (this.overlap) this.pending = this.send(k + 1, true);
    return answer;
  }

  /** File k's import has ended: one file at a time, the next is sent now. */
  finished(k: number): void {
    this.pending ??= this.send(k + 1, false);
  }

  /** Whether a file was uploaded that the run did not follow (sent ahead, or taken as it stopped), once its upload ended. */
  async uploadedMeanwhile(): Promise<boolean> {
    if (this.uploadedWhenStopped) return true;
    const answer = await this.pending?.catch(() => undefined);
    return answer !== undefined && answer !== BUSY;
  }

  /** Waits for an upload under way, so that the report lists its import before the run ends. */
  async settle(): Promise<void> {
    await this.pending?.catch(() => undefined);
  }

  private send(k: number, ahead: boolean): Promise<T | typeof BUSY | undefined> | undefined {
    if (k >= this.files || this.signal?.aborted) return undefined;
    const sent = this.upload(k, ahead).catch((error: unknown) => {
      if (isBusy(error) && ahead) return BUSY;
      if (isBusy(error) && this.signal?.aborted) return undefined; // stopped while waiting for the account: nothing uploaded
      throw error;
    });
    sent.catch(() => undefined); // its failure is met where it is awaited, not reported as unhandled meanwhile
    return sent;
  }
}
