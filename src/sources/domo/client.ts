/** Domo platform API client: OAuth client credentials, DataSet metadata, streamed CSV export. */
import type { Readable } from 'node:stream';
import { HttpError } from '../../errors/index.ts';
import { decodedBody, expectContent, readJson, readJsonBytes, type HttpClient, type HttpRequest, type HttpResponse } from '../../http/client.ts';
import { parseLossless, type LosslessValue } from './lossless-json.ts';
import { queryAnswerCsv } from './query-csv.ts';

export const DOMO_DEFAULT_URL = 'https://api.domo.com';

export type DomoColumnType = 'STRING' | 'DECIMAL' | 'LONG' | 'DOUBLE' | 'DATE' | 'DATETIME';

export interface DataSetInfo {
  id: string;
  name: string;
  rows: number;
  columns: number;
  updatedAt?: string;
  dataCurrentAt?: string;
  deleted?: boolean;
  /** Row policies (PDP) filter what a client reads: `rows` then counts more than this client sees. */
  pdpEnabled?: boolean;
  schema: { columns: { name: string; type: DomoColumnType }[] };
}

interface Token {
  value: string;
  expiresAt: number;
}

/** Refresh this long before Domo's stated expiry, so a long export never starts with a dying token. */
const EXPIRY_MARGIN_MS = 5 * 60_000;

export class DomoClient {
  private token: Token | undefined;

  constructor(
    private readonly http: HttpClient,
    private readonly clientId: string,
    private readonly clientSecret: string,
  ) {
    http.redactor.addBasicAuth(clientId, clientSecret);
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return this.token.value;
    const basic = Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64');
    // The runner only reads: the data scope is all it asks for, so a client created with it alone works.
    const req: HttpRequest = { path: '/oauth/token', query: { grant_type: 'client_credentials', scope: 'data' }, headers: { authorization: `Basic ${basic}`, accept: 'application/json' } };
    const res = await this.http.call(req, (r, body) => this.describe({ path: '/oauth/token' }, r, body));
    const answer = await readJson<{ access_token?: string; expires_in?: number }>(this.http, { path: '/oauth/token' }, res);
    if (!answer.access_token) throw new HttpError('Domo token answer had no access_token', 'Domo', res.statusCode, undefined);
    this.http.redactor.add(answer.access_token);
    this.token = { value: answer.access_token, expiresAt: Date.now() + (answer.expires_in ?? 3599) * 1000 };
    return answer.access_token;
  }

  /** Turns Domo's error shapes (API `{message, toe}`, OAuth `{error_description}`, 406 HTML) into one sentence. */
  private describe(req: HttpRequest, res: HttpResponse, body: string): HttpError {
    let detail: string | undefined;
    let toe: string | undefined;
    try {
      const json = JSON.parse(body) as { message?: string; statusReason?: string; toe?: string; error?: string; error_description?: string };
      detail = json.error_description ?? json.message ?? json.error ?? json.statusReason;
      toe = json.toe;
    } catch {
      if (res.statusCode === 406) detail = 'Not Acceptable (Domo answers a missing or expired token on a CSV export this way)';
    }
    const hint: Record<number, string> = {
      401: ' Check DOMO client id and secret (developer.domo.com > My Account > Clients).',
      403: ' The client lacks the data scope or access to this DataSet; its owner must share it.',
      404: ' Check spec.source.domo.datasetId.',
    };
    return this.http.error(req, res.statusCode, body, `${detail ?? body.slice(0, 200)}.${hint[res.statusCode] ?? ''}`.replace('..', '.'), toe);
  }

  /** An authenticated call that refreshes the token once on 401 (or on 406 for a CSV request). */
  private async authed(req: HttpRequest, csv = false): Promise<HttpResponse> {
    for (let refreshed = false; ; refreshed = true) {
      try {
        return await this.http.call(
          async () => ({ ...req, headers: { ...req.headers, authorization: `bearer ${await this.accessToken()}` } }),
          (res, body) => this.describe(req, res, body),
        );
      } catch (error) {
        const authProblem = error instanceof HttpError && (error.status === 401 || (csv && error.status === 406));
        if (refreshed || !authProblem) throw error;
        this.token = undefined;
      }
    }
  }

  async dataset(id: string): Promise<DataSetInfo> {
    const req: HttpRequest = { path: `/v1/datasets/${encodeURIComponent(id)}`, headers: { accept: 'application/json' } };
    const info = await readJson<DataSetInfo>(this.http, req, await this.authed(req));
    if (info.deleted) throw new HttpError(`Domo DataSet ${id} is deleted`, 'Domo', 404, undefined);
    return info;
  }

  /** The DataSet as a CSV byte stream with its header row (includeHeader defaults to false: always ask). */
  async exportCsv(id: string): Promise<Readable> {
    const req: HttpRequest = { path: `/v1/datasets/${encodeURIComponent(id)}/data`, query: { includeHeader: true, fileName: `${id}.csv` }, headers: { accept: 'text/csv' } };
    const res = await this.authed(req, true);
    await expectContent(this.http, req, res, 'CSV');
    return decodedBody(res);
  }

  /**
   * Rows a SQL query returns, through Domo's query API (`SELECT ... FROM table`): positional arrays, every
   * value as text (numbers digit for digit as Domo sent them, see lossless-json.ts) or null.
   * ASSUMPTION: a null cell is JSON null (Domo's Java SDK, QueryResultSet, tests cells for null; no answer
   * with one is published).
   */
  async query(id: string, sql: string): Promise<{ columns: string[]; rows: (string | null)[][] }> {
    const answer = await this.answer(id, sql, (body) => parseLossless(body) as { columns?: string[]; rows?: LosslessValue[][] });
    const cell = (value: LosslessValue) => (value === null ? null : typeof value === 'string' ? value : typeof value === 'boolean' ? String(value) : JSON.stringify(value));
    return { columns: answer.columns ?? [], rows: (answer.rows ?? []).map((row) => row.map(cell)) };
  }

  /** A query's rows as the CSV lines an export would give, read from the answer's bytes (a page of a window). */
  queryCsv(id: string, sql: string): Promise<{ columns: string[]; csv: Buffer; rows: number }> {
    return this.answer(id, sql, queryAnswerCsv);
  }

  /** A query's answer as `parse` reads its bytes; an empty body is refused, naming the call. */
  private async answer<T>(id: string, sql: string, parse: (body: Buffer) => T): Promise<T> {
    const req: HttpRequest = { method: 'POST', path: `/v1/datasets/query/execute/${encodeURIComponent(id)}`, headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify({ sql }) };
    const res = await this.authed(req);
    const answer = await readJsonBytes<T | undefined>(this.http, req, res, parse);
    if (answer === undefined) throw this.http.error(req, res.statusCode, '', 'an empty body where the answer of the query was expected');
    return answer;
  }

  /** How many rows this client can read (row policies applied, as in an export), of those `where` selects. */
  async countRows(id: string, where?: string): Promise<number> {
    const { rows } = await this.query(id, `SELECT COUNT(*) FROM table${where ? ` WHERE ${where}` : ''}`);
    const count = Number(rows[0]?.[0]);
    if (!Number.isInteger(count) || count < 0) throw new HttpError(`Domo's query API answered COUNT(*) of ${id} with ${JSON.stringify(rows[0]?.[0])}, not a count`, 'Domo', 200, undefined);
    return count;
  }
}

