/**
 * The schema rules marked x-checked (envelope-schema.ts) say for editors what a meaning check says in
 * `validate`. Each must flag exactly what its check reports: a value the schema flags and the check does
 * not would reach `validate` in the schema's words (or an editor would refuse a valid definition), and a
 * value the check reports and the schema does not is one an editor misses. Only what the schema cannot see
 * (ranges that run backwards) may differ.
 */
import { describe, expect, it } from 'vitest';
import { runChecks } from '../../src/definitions/checks.ts';
import { RUNNER_SECRET_PREFIXES } from '../../src/definitions/envelope-schema.ts';
import { schemaProblems } from '../../src/definitions/schema-validator.ts';
import { destinationFor } from '../../src/registry.ts';
import { reservedSecretName } from '../../src/secrets.ts';

const sales = () => ({
  apiVersion: 'writeback/v1',
  kind: 'EmarsysSalesWriteback',
  metadata: { name: 'job' },
  spec: {
    source: { domo: { datasetId: 'ds', clientId: { secret: 'DOMO_CLIENT_ID' }, clientSecret: { secret: 'DOMO_CLIENT_SECRET' } } },
    destination: { emarsysSales: { merchantId: 'M', token: { secret: 'TOKEN' } } },
    mapping: { order: 'o', timestamp: 't', customer: 'c', item: 'i', price: 'p', quantity: 'q', custom: { s_channel: 'ch' } } as Record<string, unknown>,
    delivery: { cursor: 't' } as Record<string, unknown>,
  } as Record<string, any>,
});
const contacts = () => ({
  apiVersion: 'writeback/v1',
  kind: 'DotdigitalContactsWriteback',
  metadata: { name: 'job' },
  spec: {
    source: { domo: { datasetId: 'ds', clientId: { secret: 'DOMO_CLIENT_ID' }, clientSecret: { secret: 'DOMO_CLIENT_SECRET' } } },
    destination: { dotdigital: { username: 'u', password: { secret: 'PASSWORD' } } },
    mapping: { email: 'e', dataFields: {} as Record<string, unknown> },
  } as Record<string, any>,
});

/** What each side says about a definition: the paths of the schema's problems and of the checks' problems. */
function verdicts(definition: Record<string, any>) {
  const checks: string[] = [];
  runChecks({ file: 'connectors/job.yaml', value: definition, env: {}, report: (path) => void checks.push(JSON.stringify(path)) }, destinationFor(definition.kind));
  const schema = schemaProblems(definition);
  return { schema: schema.map((p) => JSON.stringify(p.path)), checked: schema.filter((p) => p.checked).map((p) => JSON.stringify(p.path)), checks };
}

/** For each value, the schema flags `path` exactly when a check does; every schema problem there is x-checked. */
function agree(values: unknown[], set: (value: unknown) => Record<string, any>, path: (string | number)[], mayDiffer: (value: unknown) => boolean = () => false) {
  const at = JSON.stringify(path);
  const disagreements = values.flatMap((value) => {
    const { schema, checked, checks } = verdicts(set(value));
    const flagged = schema.includes(at);
    const reported = checks.includes(at);
    if (flagged !== reported && !mayDiffer(value)) return [`${JSON.stringify(value)}: schema ${flagged ? 'flags' : 'accepts'} it, the checks ${reported ? 'report' : 'accept'} it`];
    if (flagged && !checked.includes(at)) return [`${JSON.stringify(value)}: the schema's rule is not marked x-checked`];
    return [];
  });
  expect(disagreements).toEqual([]);
}

describe('x-checked schema rules agree with their checks', () => {
  it('schedule: the cron pattern accepts what parseCron accepts (ranges that run backwards aside)', () => {
    const tokens = ['*', '0', '00', '007', '7', '59', '60', '23', '24', '1', '31', '32', '12', '13', '6', '8', 'jan', 'JAN', 'Jan', 'dec', 'xyz', 'sun', 'SAT', 'Fri', 'frı', 'ſun', '1-5', '5-1', 'mon-fri', 'jan-mar', '*/5', '*/0', '*/00', '1/2', '1-5/2', '1,2', '1,,2', ',1', '1,', '*-5', '1-', '-1', '1/2/3', '1/x', '**', '1.5'];
    const expressions = [
      ...tokens.flatMap((t) => [0, 1, 2, 3, 4].map((i) => ['*', '*', '*', '*', '*'].map((f, j) => (j === i ? t : f)).join(' '))),
      '* * * *', '* * * * * *', '', '  17 5 * * *  ', '17\t5 * * *', '17  5 * * *', '17 5 * * *\n',
    ];
    const backwards = (value: unknown) => [...String(value).matchAll(/(\d+)-(\d+)/g)].some(([, a, b]) => Number(a) > Number(b));
    agree(expressions, (value) => {
      const d = sales();
      d.spec.schedule = value;
      return d;
    }, ['spec', 'schedule'], backwards);
  });

  it('credentials: { secret: NAME }, never a literal', () => {
    agree(['hunter2', 12345, true, { secret: 'A' }], (value) => {
      const d = sales();
      d.spec.destination.emarsysSales.token = value;
      return d;
    }, ['spec', 'destination', 'emarsysSales', 'token']);
  });

  it("secret names: not the runner's", () => {
    const names = ['GITHUB_TOKEN', 'github_token', 'GitHub_x', 'GITHUBX', 'ACTIONS_RUNTIME_TOKEN', 'RUNNER_TEMP', 'INPUT_X', 'WRITEBACK_SECRETS', 'MY_GITHUB_TOKEN', 'DOMO', '_X', 'writeback_'];
    agree(names, (value) => {
      const d = sales();
      d.spec.source.domo.clientId = { secret: value };
      return d;
    }, ['spec', 'source', 'domo', 'clientId', 'secret']);
    for (const prefix of RUNNER_SECRET_PREFIXES) expect(reservedSecretName(`${prefix}_X`), prefix).toBeDefined();
  });

  it('Emarsys custom field names', () => {
    const names = ['s_channel', 'i_1', 'f_a_b', 't_T', 'channel', 'Price', 'price', 'x_y', 's_', 's_a-b', 'S_channel', 's_é'];
    for (const name of names) {
      agree([name], (value) => {
        const d = sales();
        d.spec.mapping.custom = { [String(value)]: 'col' };
        return d;
      }, ['spec', 'mapping', 'custom', name]);
    }
  });

  it('Emarsys customer / email: exactly one', () => {
    const pick = (value: unknown) => {
      const d = sales();
      const { customer, ...rest } = d.spec.mapping;
      d.spec.mapping = { ...rest, ...(value as object) };
      return d;
    };
    agree([{}, { customer: 'c' }, { email: 'e' }], pick, ['spec', 'mapping']);
    agree([{ customer: 'c', email: 'e' }, { customer: 'c' }, { email: 'e' }], pick, ['spec', 'mapping', 'email']);
  });

  it('Emarsys lookback: a duration, and it needs cursor', () => {
    const values = ['3d', '1d12h', '90m', '0s', '3 days', '', 'd', '3', '3D', '1.5d', '3d ', '٣d'];
    agree(values, (value) => {
      const d = sales();
      d.spec.delivery.lookback = value;
      return d;
    }, ['spec', 'delivery', 'lookback']);
    agree([{ lookback: '3d' }, { lookback: '3d', cursor: 't' }, { cursor: 't' }], (value) => {
      const d = sales();
      d.spec.delivery = value as Record<string, unknown>;
      return d;
    }, ['spec', 'delivery', 'lookback']);
  });

  it('Emarsys fieldOrder: names every mapped standard field once', () => {
    const all = ['item', 'price', 'order', 'timestamp', 'customer', 'quantity', 's_channel'];
    agree([all, all.slice(1), [...all, 'order'], [...all, 'sku'], [...all.slice(0, -1)]], (value) => {
      const d = sales();
      d.spec.fieldOrder = value;
      return d;
    }, ['spec', 'fieldOrder'], (value) => (value as string[]).length === all.length - 1 && !(value as string[]).includes('s_channel'));
  });

  it('Dotdigital data field names', () => {
    const names = ['FIRSTNAME', 'A'.repeat(20), 'A'.repeat(21), 'FIRST NAME', 'LOYALTY-TIER_2', 'Email', 'EMAIL', 'id', 'ID', 'contactId', 'notes', 'Unsubscribed', 'emails', '', 'é'];
    for (const name of names) {
      agree([name], (value) => {
        const d = contacts();
        d.spec.mapping.dataFields = { [String(value)]: 'col' };
        return d;
      }, ['spec', 'mapping', 'dataFields', name]);
    }
  });
});
