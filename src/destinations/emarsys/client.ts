/**
 * Emarsys sales data upload. Uploads are append-only and never deduplicated, so every answer is
 * classified: the file was accepted, it was definitely not processed (safe to retry or to fail), or the
 * outcome is unknown (the job is held until a person checks Emarsys).
 */
import { createReadStream, createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';
import { describeError, UnknownOutcomeError, WritebackError } from '../../errors/index.ts';
import { excerpt, readText, type HttpClient } from '../../http/client.ts';
import { storageError } from '../../state/durable.ts';
import { backoffMs, isInvalidRequest, MAX_TRIES, requestNeverSent, retryAfterMs, sleep } from '../../http/retry.ts';

export const EMARSYS_DEFAULT_URL = 'https://admin.scarabresearch.com';
const UPLOAD_CHUNK_BYTES = 1024 * 1024;
/** zlib's fastest level: sales files shrink to about a fifth at it, and higher levels cost far more processor time. */
const GZIP_LEVEL = constants.Z_BEST_SPEED;

/**
 * Answers that say the file was not processed, worth another try: 429 (RFC 6585: too many requests,
 * nothing done) and 503 (RFC 9110 15.6.4: the server cannot handle the request now).
 */
const NOT_PROCESSED = new Set([429, 503]);
/** Definite refusals of this request as sent: retrying the same file would be refused again. */
const REFUSED = new Set([400, 401, 403, 404, 413, 415, 422]);

/** The part file could not be read while uploading: the request was cut short, so nothing arrived whole. */
export class BodyReadError extends WritebackError {
  override name = 'BodyReadError';
}

const HINTS: Record<number, string> = {
  401: ' Check the sales data token (Management > Predict Data Sources > Sales Data > Show API upload details).',
  403: ' Check the merchant id and that sales data upload is enabled for the account.',
  404: ' Check the merchant id.',
  413: ' The file is too large for Emarsys: lower WRITEBACK_EMARSYS_MAX_UPLOAD_BYTES.',
};

export class EmarsysSalesClient {
  constructor(
    private readonly http: HttpClient,
    private readonly merchantId: string,
    private readonly token: string,
    /**
     * Send files gzip-compressed (Content-Encoding: gzip), as a production client does
     * (docs/vendors/emarsys-sales.md); no Emarsys page documents it, so it is off unless asked for.
     */
    private readonly gzip = false,
  ) {
    http.redactor.add(token);
  }

  /**
   * Makes the file as it will be sent: the part itself, or its gzip twin beside it (so every try sends
   * the same bytes). Called before the delivery intent is written: a disk that fails here fails nothing
   * Emarsys could have received.
   */
  async prepare(part: { path: string; bytes: number }): Promise<{ path: string; bytes: number }> {
    if (!this.gzip) return part;
    const path = `${part.path}.gz`;
    if (!existsSync(path)) {
      try {
        await pipeline(createReadStream(part.path, { highWaterMark: UPLOAD_CHUNK_BYTES }), createGzip({ level: GZIP_LEVEL }), createWriteStream(`${path}.tmp`));
        renameSync(`${path}.tmp`, path); // whole or not at all: a half-written twin is never sent
      } catch (error) {
        rmSync(`${path}.tmp`, { force: true });
        throw storageError(error, 'could not compress the upload');
      }
    }
    return { path, bytes: statSync(path).size };
  }

  /**
   * Sends one CSV file (its path and exact size). Resolves when Emarsys answered 2xx ("accepted for
   * processing"). Once the whole body was handed to the connection, an error answer does not prove the
   * file was refused: a gateway in front of Emarsys may answer 500, 502 or 504 after Emarsys took it
   * (RFC 9110 says nothing about whether the origin acted). So only the answers in NOT_PROCESSED are
   * retried and only those in REFUSED count as refused; any other answer, silence or a dropped
   * connection after the body left throws UnknownOutcomeError. An answer that came while bytes of the
   * file were still unread is a refusal of an incomplete file, and so is a file that could not be read
   * (BodyReadError). `bytesRead` counts what was read from disk, not what reached the socket, so a part
   * smaller than one read chunk counts as complete at once: that errs towards holding, never towards a resend.
   */
  async upload(part: { path: string; bytes: number }): Promise<void> {
    const path = `/hapi/merchant/${encodeURIComponent(this.merchantId)}/sales-data/api`;
    const file = await this.prepare(part);
    const encoding: Record<string, string> = this.gzip ? { 'content-encoding': 'gzip' } : {};
    for (let attempt = 1; ; attempt++) {
      let status: number;
      let body: string;
      let retryAfter: string | string[] | undefined;
      let bodyComplete = false;
      let unreadable: Error | undefined;
      try {
        // Streamed from the spool file (opened anew for each try): no upload is held in memory. In 1 MB
        // chunks: a 20 MB part took 50 ms instead of 80 ms and a third of the processor time, against 64 KB chunks.
        const stream = createReadStream(file.path, { highWaterMark: UPLOAD_CHUNK_BYTES });
        stream.once('error', (error) => (unreadable = error));
        const res = await this.http.send({
          method: 'POST',
          path,
          headers: { authorization: `Bearer ${this.token}`, 'content-type': 'text/csv', accept: 'text/plain', 'content-length': String(file.bytes), ...encoding },
          body: stream,
        });
        // Bytes still unread from the file when the answer came never reached the server: it answered an
        // incomplete file. (bytesRead, not the 'end' event, which can lag behind a fast answer.)
        bodyComplete = stream.bytesRead >= file.bytes;
        status = res.statusCode;
        retryAfter = res.headers['retry-after'];
        body = this.http.redactor.redact(await readText(res)); // whole, before anything cuts it
      } catch (error) {
        // The file could not be read: the request stopped short of its length, so no whole file arrived.
        if (unreadable) throw new BodyReadError(`could not read the upload file (${describeError(storageError(unreadable, 'read'))}); nothing of it can have been accepted`);
        if (requestNeverSent(error) && !isInvalidRequest(error) && attempt < MAX_TRIES) {
          await sleep(backoffMs(attempt, this.http.retryBaseMs));
          continue;
        }
        if (requestNeverSent(error)) throw this.http.networkError({ method: 'POST', path }, error);
        const reason = this.http.redactor.redact(error instanceof Error ? error.message : String(error));
        throw new UnknownOutcomeError(`Emarsys did not answer the upload (${reason}); it may or may not have been accepted`);
      }
      if (status >= 200 && status < 300) return;
      const detail = `${excerpt(body)}${HINTS[status] ?? ''}`;
      const retryable = NOT_PROCESSED.has(status) || (!bodyComplete && status >= 500);
      if (retryable && attempt < MAX_TRIES) {
        const wait = retryAfterMs(retryAfter);
        if (wait !== undefined && wait > this.http.maxRateLimitWaitMs) throw this.http.rateLimitError({ method: 'POST', path }, status, { 'retry-after': retryAfter }, wait);
        await sleep(wait ?? backoffMs(attempt, this.http.retryBaseMs));
        continue;
      }
      if (retryable || REFUSED.has(status) || !bodyComplete) throw this.http.error({ method: 'POST', path }, status, body, detail);
      throw new UnknownOutcomeError(
        this.http.redactor.redact(
          `Emarsys answered ${status} after the whole file was sent${detail ? ` (${detail})` : ''}; a gateway can answer so after Emarsys took the file, so it may or may not have been accepted`,
        ),
      );
    }
  }
}
