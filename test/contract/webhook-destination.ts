/**
 * A minimal destination written only against the public contract (jobs/destination.ts), as a third
 * destination would be: it posts each file of rows as CSV to a webhook, with a bearer token and an
 * Idempotency-Key (the file's sha256), and remembers in its state how many files the webhook took.
 * docs/adding-a-destination.md walks through the same module.
 */
import type { Readable } from 'node:stream';
import { get, type Check } from '../../src/definitions/check.ts';
import type { BaseSpec, Envelope, StringOrSecret } from '../../src/definitions/types.ts';
import { DataError } from '../../src/errors/index.ts';
import { HttpClient } from '../../src/http/client.ts';
import type { DestinationModule, Scan } from '../../src/jobs/destination.ts';
import { csvLine } from '../../src/pipeline/csv-line.ts';
import type { CsvRecord } from '../../src/pipeline/csv-records.ts';
import { readCsvRecords } from '../../src/pipeline/record-batches.ts';
import { partChecksum, Spool } from '../../src/pipeline/spool.ts';
import type { RejectedRow, RunReport } from '../../src/reports/run-report.ts';
import { httpSettings } from '../../src/settings.ts';
import type { JobState } from '../../src/state/job-state.ts';
import { hashKey } from '../../src/state/key-hasher.ts';
import { readFileSync } from 'node:fs';

interface WebhookSpec extends BaseSpec {
  destination: { webhook: { url: string; token: StringOrSecret } };
  mapping: { id: string; value: string };
}
type WebhookDefinition = Envelope<'WebhookRowsWriteback', WebhookSpec>;
interface WebhookState extends JobState {
  filesAccepted?: number;
}
interface WebhookReport extends RunReport {
  posts?: { part: number; lines: number; status: number }[];
}

const httpsOnly: Check = ({ value, report }) => {
  const url = get(value, 'spec', 'destination', 'webhook', 'url');
  if (typeof url === 'string' && !/^https?:\/\//.test(url)) report(['spec', 'destination', 'webhook', 'url'], `spec.destination.webhook.url: "${url}" is not an http(s) URL`);
};

export const webhookRows: DestinationModule<WebhookDefinition, WebhookState, WebhookReport> = {
  kind: 'WebhookRowsWriteback',
  delivers: 'rows to a webhook',
  schema: {
    spec: {
      type: 'object',
      required: ['source', 'destination', 'mapping'],
      additionalProperties: false,
      properties: {
        schedule: { $ref: '#/definitions/schedule' },
        suspend: { $ref: '#/definitions/suspend' },
        source: { $ref: '#/definitions/domoSource' },
        rejects: { $ref: '#/definitions/rejects' },
        personalData: { $ref: '#/definitions/personalData' },
        destination: {
          type: 'object',
          required: ['webhook'],
          additionalProperties: false,
          properties: { webhook: { type: 'object', required: ['url', 'token'], additionalProperties: false, properties: { url: { type: 'string' }, token: { $ref: '#/definitions/stringOrSecret' } } } },
        },
        mapping: { type: 'object', required: ['id', 'value'], additionalProperties: false, properties: { id: { type: 'string' }, value: { type: 'string' } } },
      },
    },
  },
  reportSchema: { posts: { type: 'array', items: { type: 'object' } } },
  checks: [httpsOnly],
  credentialPaths: [['destination', 'webhook', 'token']],
  unit: { one: 'row', many: 'rows' },
  personalFields: [],
  skippedLabels: { duplicateInExport: 'repeated in the export' },
  mappedFields: () => ['id', 'value'],
  columns: (definition) => [
    { field: 'id', column: definition.spec.mapping.id, need: 'text', verdict: 'unchecked' },
    { field: 'value', column: definition.spec.mapping.value, need: 'number', verdict: 'unchecked' },
  ],
  renderReport: (report) => (report.posts ?? []).map((p) => `Post ${p.part}: ${p.lines} rows, HTTP ${p.status}.`),

  async open(ctx, store, state) {
    const { spec, metadata } = ctx.definition;
    const token = ctx.secrets.resolve(metadata.name, spec.destination.webhook.token);
    const http = new HttpClient({ service: 'Webhook', baseUrl: spec.destination.webhook.url, redactor: ctx.redactor, ...httpSettings(ctx.env) });
    return {
      async scan(csv: Readable): Promise<Scan> {
        const spool = new Spool(csvLine(['id', 'value']), 1024 * 1024);
        const seen = new Set<string>();
        const rejects: RejectedRow[] = [];
        const pair = new Uint32Array(2);
        let columns: number[] | undefined;
        let read = 0;
        let duplicates = 0;
        await readCsvRecords(csv, (record: CsvRecord) => {
          if (!columns) {
            const header = record.texts();
            columns = [spec.mapping.id, spec.mapping.value].map((c) => header.indexOf(c));
            if (columns.includes(-1)) throw new DataError(`the DataSet lacks a mapped column; it has ${header.join(', ')}`);
            return;
          }
          read++;
          const [id, value] = [record.text(columns[0]!), record.text(columns[1]!)];
          if (!/^-?\d+(\.\d+)?$/.test(value)) return void rejects.push({ row: read, field: 'value', column: spec.mapping.value, reason: `"${value}" is not a number` });
          if (seen.has(id)) return void duplicates++;
          seen.add(id);
          hashKey(id, pair);
          spool.add(csvLine([id, value]), pair[0]!, pair[1]!, undefined);
        });
        const parts = spool.finish();
        return { read, rejected: rejects.length, rejects, skipped: { duplicateInExport: duplicates }, gate: { rejected: rejects.length, considered: read }, parts, toSend: spool.lines, dispose: () => spool.dispose() };
      },
      async deliver(scan, report) {
        report.posts = [];
        for (const part of scan.parts) {
          const res = await http.call({ method: 'POST', path: '/rows', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', 'idempotency-key': partChecksum(part) }, body: readFileSync(part.path) });
          await res.body.dump();
          report.posts.push({ part: part.index, lines: part.lines, status: res.statusCode });
          report.rows.sent += part.lines;
          state.filesAccepted = (state.filesAccepted ?? 0) + 1;
          store.save(state);
        }
        report.status = 'succeeded';
        report.message = `Posted ${report.rows.sent} rows in ${scan.parts.length} file(s).`;
      },
    };
  },
};
