/**
 * `writeback emulate`'s world: the emulators of Domo, Emarsys and Dotdigital on 127.0.0.1, set up for
 * the team's own connectors/ and CSV files. It reads the definitions for the accounts the emulators
 * must accept (Domo clients, Emarsys merchants with their agreed column order, Dotdigital API users and
 * the data fields a job expects to exist) and gives every `{ secret: NAME }` an emulator-only value.
 */
import { join } from 'node:path';
import type { Problem } from '../errors/index.ts';
import type { StringOrSecret } from '../definitions/types.ts';
import { validateRepository } from '../definitions/validator.ts';
import type { DotdigitalContactsDefinition } from '../destinations/dotdigital/spec.ts';
import type { EmarsysSalesDefinition } from '../destinations/emarsys/spec.ts';
import { insideActions } from '../github/annotations.ts';
import { checkColumns } from '../plan/column-types.ts';
import { destinationFor, type Definition } from '../registry.ts';
import { count as n } from '../reports/count.ts';
import type { DataSetInfo } from '../sources/domo/client.ts';
import { csvDataSet } from '../emulators/csv-dataset.ts';
import type { EmulatedDataSet } from '../emulators/domo.ts';
import { startEmulators, type EmulatorAccounts, type RunningEmulators } from '../emulators/start.ts';
import { watchActivity } from './emulate-activity.ts';

export interface DataSetFile {
  id: string;
  /** As the user wrote it (for messages). */
  file: string;
  /** Where to read it. */
  path: string;
}

export interface EmulateRequest {
  root: string;
  env: NodeJS.ProcessEnv;
  datasets: DataSetFile[];
  port?: number;
}

/** One `export NAME=value` line, and why it is printed. */
export interface ExportedVariable {
  name: string;
  value: string;
}

export interface EmulatedWorld {
  emulators: RunningEmulators;
  exports: ExportedVariable[];
  /** What runs where, for a person. */
  description: string[];
  /** Things worth knowing that are not errors (a DataSet no connector reads, a connector without its DataSet...). */
  notes: string[];
  /** What the emulators received since the last call, one line each. */
  activity(): string[];
  /** What the emulators received in all. */
  summary(): string;
  stop(): Promise<void>;
}

/** Every `{ secret: NAME }` a value refers to. */
function secretNames(node: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(node)) node.forEach((item) => secretNames(item, into));
  else if (typeof node === 'object' && node !== null) {
    const ref = node as { secret?: unknown };
    if (typeof ref.secret === 'string' && Object.keys(node).length === 1) into.add(ref.secret);
    else Object.values(node).forEach((item) => secretNames(item, into));
  }
  return into;
}

const kebab = (name: string) => name.toLowerCase().replace(/_+/g, '-').replace(/^-|-$/g, '');

/** Emulator-only values for secrets, one per name, shaped by the first use that asks for a shape. */
class DummySecrets {
  readonly values = new Map<string, string>();

  value(ref: StringOrSecret, shape: 'text' | 'email' = 'text'): string {
    if (typeof ref === 'string') return ref;
    let value = this.values.get(ref.secret);
    if (value === undefined) {
      value = shape === 'email' ? `emulated-${kebab(ref.secret)}@example.com` : `emulated-${kebab(ref.secret)}`;
      this.values.set(ref.secret, value);
    }
    return value;
  }
}

const refName = (ref: StringOrSecret) => (typeof ref === 'string' ? `"${ref}"` : ref.secret);

/** The accounts the emulators must accept for these definitions, and notes on what cannot be honoured. */
function accountsFor(definitions: Definition[], secrets: DummySecrets, notes: string[]): Omit<EmulatorAccounts, 'dataSets' | 'port'> {
  const domoClients: Record<string, string> = {};
  const merchants: Record<string, { token: string; agreedOrder?: string[]; job: string }> = {};
  const users: Record<string, string> = {};
  const fields = new Map<string, { name: string; type: string; job: string }>();
  const pair = (table: Record<string, string>, what: string, job: string, id: StringOrSecret, secret: StringOrSecret, idShape: 'text' | 'email' = 'text') => {
    const idValue = secrets.value(id, idShape);
    const secretValue = secrets.value(secret);
    if (table[idValue] !== undefined && table[idValue] !== secretValue) {
      notes.push(`${job}: its ${what} ${refName(id)} is used by another connector with another secret (${refName(secret)}); the emulator accepts the first, so ${job} will fail to sign in: use the same secret in both`);
    } else table[idValue] = secretValue;
  };
  for (const definition of definitions) {
    const job = definition.metadata.name;
    const domo = definition.spec.source.domo;
    pair(domoClients, 'Domo client id', job, domo.clientId, domo.clientSecret);
    if (definition.kind === 'EmarsysSalesWriteback') {
      const { merchantId, token } = (definition as EmarsysSalesDefinition).spec.destination.emarsysSales;
      const order = (definition as EmarsysSalesDefinition).spec.fieldOrder;
      const id = secrets.value(merchantId);
      const existing = merchants[id];
      if (existing && existing.token !== secrets.value(token)) {
        notes.push(`${job}: its Emarsys merchant ${refName(merchantId)} is used by ${existing.job} with another token (${refName(token)}); the emulator accepts the first, so ${job} will fail to sign in`);
      } else if (existing) {
        if (String(existing.agreedOrder) !== String(order)) {
          notes.push(`${job} and ${existing.job} send to one Emarsys merchant with different column orders (fieldOrder); the emulator accepts files in any order for it, as no account would`);
          existing.agreedOrder = undefined;
        }
      } else merchants[id] = { token: secrets.value(token), agreedOrder: order, job };
    } else if (definition.kind === 'DotdigitalContactsWriteback') {
      const { spec } = definition as DotdigitalContactsDefinition;
      pair(users, 'Dotdigital API user', job, spec.destination.dotdigital.username, spec.destination.dotdigital.password, 'email');
      for (const [name, field] of Object.entries(spec.mapping.dataFields ?? {})) {
        // A field the job creates is left for it to create; one it expects is in the account already, as in a real one.
        if (typeof field === 'object' && field.create) continue;
        const type = (typeof field === 'object' ? field.type : undefined) ?? 'String';
        const known = fields.get(name.toUpperCase());
        if (known && known.type !== type) notes.push(`${job} expects the Dotdigital data field ${name} as ${type}, ${known.job} as ${known.type}; the one emulated account has it as ${known.type}, so ${job} will fail`);
        else if (!known) fields.set(name.toUpperCase(), { name, type, job });
      }
    } else {
      notes.push(`${job}: kind ${(definition as { kind: string }).kind} has no emulator; its secrets get emulator-only values, but its deliveries will fail`);
    }
  }
  if (!Object.keys(users).length) users['emulated-api-user@example.com'] = 'emulated-api-password';
  // Keyed by upper case to find clashes (Dotdigital's names are case-insensitive), created as first written.
  const dataFields = [...fields.values()].map(({ name, type }) => ({ name, type }));
  const emarsysMerchants = Object.fromEntries(Object.entries(merchants).map(([id, m]) => [id, { token: m.token, agreedOrder: m.agreedOrder }]));
  return { domoClients, emarsysMerchants, dotdigitalUsers: users, dataFields };
}

/** Notes on how the DataSets and the connectors match: ids no one reads, ids no file serves, columns missing. */
function matchNotes(definitions: Definition[], dataSets: EmulatedDataSet[], files: DataSetFile[], notes: string[]): void {
  const byId = new Map(dataSets.map((ds) => [ds.id, ds]));
  const readers = new Map<string, string[]>();
  for (const definition of definitions) {
    const id = definition.spec.source.domo.datasetId;
    readers.set(id, [...(readers.get(id) ?? []), definition.metadata.name]);
    const dataSet = byId.get(id);
    if (!dataSet) {
      notes.push(`${definition.metadata.name} reads DataSet ${id}, which no --dataset serves: its plan and runs will fail (Domo answers "DataSet ${id} not found"); add --dataset ${id}=FILE.csv, or run the others with --only`);
      continue;
    }
    const file = files.find((f) => f.id === id)!.file;
    const info: DataSetInfo = { id, name: dataSet.name, rows: dataSet.rows?.length ?? 0, columns: dataSet.columns.length, schema: { columns: dataSet.columns as DataSetInfo['schema']['columns'] } };
    const module = destinationFor(definition.kind);
    for (const check of checkColumns(module?.columns(definition) ?? [], info)) {
      if (check.verdict === 'missing') notes.push(`${definition.metadata.name} reads column ${check.column} (for ${check.field}), which ${file} does not have (its columns: ${dataSet.columns.map((c) => c.name).join(', ')})`);
      if (check.verdict === 'incompatible') notes.push(`${definition.metadata.name}: column ${check.column} of ${file} reads as ${check.domoType} (inferred from its values), and ${check.field} ${check.note}`);
    }
  }
  for (const ds of dataSets) {
    if (!readers.has(ds.id)) notes.push(`DataSet ${ds.id} (${files.find((f) => f.id === ds.id)!.file}) is read by no connector in connectors/; it is served all the same`);
  }
}

/** no_proxy with 127.0.0.1 added, when a proxy is set: the runner would otherwise ask the proxy for the emulators. */
function proxyExports(env: NodeJS.ProcessEnv): ExportedVariable[] {
  if (!['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY'].some((name) => env[name])) return [];
  const current = (env.no_proxy ?? env.NO_PROXY ?? '').split(/[,\s]+/).filter(Boolean);
  const value = [...new Set([...current, '127.0.0.1'])].join(',');
  return [
    { name: 'NO_PROXY', value },
    { name: 'no_proxy', value },
  ];
}

export async function startEmulatedWorld(request: EmulateRequest): Promise<EmulatedWorld> {
  const { root, env } = request;
  const dataSets = request.datasets.map((d) => csvDataSet({ id: d.id, file: d.file, path: d.path }));
  const { definitions: loaded, problems } = validateRepository(root, undefined, env);
  const definitions = loaded.map((l) => l.definition);
  const notes: string[] = problems.map((p: Problem) => `${p.file}:${p.line}:${p.column}: ${p.message}`);
  if (problems.length) notes.push('invalid definitions are left out here, and reconcile does not run them either (see: npx writeback validate)');
  if (!loaded.length && !problems.length) notes.push(`there are no connectors in ${join(root, 'connectors')}: plan and reconcile will have nothing to do (run this in your repository, or give --root DIR)`);

  const secrets = new DummySecrets();
  const accounts = accountsFor(definitions, secrets, notes);
  for (const definition of definitions) for (const name of secretNames(definition.spec, new Set())) secrets.value({ secret: name });
  matchNotes(definitions, dataSets, request.datasets, notes);
  const emulators = await startEmulators({ ...accounts, dataSets, port: request.port });
  const secretExports = [...secrets.values].sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => ({ name, value }));
  const exports: ExportedVariable[] = [
    ...Object.entries(emulators.endpoints).map(([name, value]) => ({ name, value })),
    ...secretExports,
    ...proxyExports(env),
  ];
  // Inside GitHub Actions secrets resolve only from WRITEBACK_SECRETS (README, "Secrets").
  if (insideActions(env) && secretExports.length) exports.push({ name: 'WRITEBACK_SECRETS', value: JSON.stringify(Object.fromEntries(secrets.values)) });

  const description = [
    `Domo        ${emulators.domo.url}  ${dataSets.length} DataSet(s), ${Object.keys(accounts.domoClients).length} client(s)`,
    ...dataSets.map((ds, i) => `              ${ds.id}  "${ds.name}" from ${request.datasets[i]!.file}: ${n(ds.rows?.length ?? 0)} rows; ${ds.columns.map((c) => `${c.name} ${c.type}`).join(', ')}`),
    `Emarsys     ${emulators.emarsys.url}  ${Object.keys(accounts.emarsysMerchants).length} merchant(s)${Object.values(accounts.emarsysMerchants).some((m) => typeof m === 'object' && m.agreedOrder) ? ', files checked against fieldOrder as the agreed column order' : ''}`,
    `Dotdigital  ${emulators.dotdigital.url}  one account, ${Object.keys(accounts.dotdigitalUsers).length} API user(s)${accounts.dataFields?.length ? `; data fields ${accounts.dataFields.map((f) => `${f.name} (${f.type})`).join(', ')} exist` : ''}`,
  ];
  const watcher = watchActivity(emulators);
  return {
    emulators,
    exports,
    description,
    notes,
    activity: () => watcher.poll(),
    summary: () => watcher.summary(),
    stop: () => emulators.stop(),
  };
}
