/**
 * Meaning checks that JSON Schema cannot express. Each check is a small function that reads the
 * (possibly ill-typed) definition defensively and reports every problem it sees; none stops the others.
 */
import { basename, extname } from 'node:path';
import { nextTick, parseCron, CronError } from './cron.ts';
import { parseDuration } from './duration.ts';
import { EMARSYS_STANDARD_FIELDS } from './types.ts';
import type { PathSegment } from './yaml-source.ts';
import { reservedSecretName } from '../secrets.ts';
import { HOSTS_RULE, isAllowedDotdigitalHost, isOperatorHost } from '../destinations/dotdigital/hosts.ts';

export interface CheckContext {
  file: string;
  /** The parsed YAML value; shapes are not guaranteed. */
  value: Record<string, unknown>;
  report(path: PathSegment[], message: string, onKey?: boolean): void;
  /** The environment of the command (the operator's settings, such as WRITEBACK_ALLOWED_HOSTS). */
  env: NodeJS.ProcessEnv;
}

type Check = (context: CheckContext) => void;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const get = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), value);

const JOB_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const CUSTOM_PREFIX = /^[sift]_[A-Za-z0-9_]+$/;
const DOTDIGITAL_FIELD_NAME = /^[A-Za-z0-9_-]+$/;
const DOTDIGITAL_RESERVED = ['email', 'id', 'contactid', 'notes', 'unsubscribed'];

const fileNameMatchesName: Check = ({ file, value, report }) => {
  const name = get(value, 'metadata', 'name');
  if (typeof name !== 'string' || !JOB_NAME.test(name)) return; // the schema reports a malformed name
  const stem = basename(file, extname(file));
  if (stem !== name) {
    report(['metadata', 'name'], `metadata.name "${name}" must equal the file name: rename the file to ${name}.yaml or the job to "${stem}"`);
  }
};

const scheduleIsValidCron: Check = ({ value, report }) => {
  const schedule = get(value, 'spec', 'schedule');
  if (typeof schedule !== 'string') return;
  try {
    const cron = parseCron(schedule);
    if (!nextTick(cron, new Date())) report(['spec', 'schedule'], `spec.schedule: "${schedule}" never fires`);
  } catch (error) {
    if (!(error instanceof CronError)) throw error;
    report(['spec', 'schedule'], `spec.schedule: not a valid cron expression: ${error.message}`);
  }
};

/** Fields whose value is a credential: a literal would be committed to git for anyone to read. */
const CREDENTIAL_PATHS: string[][] = [
  ['spec', 'source', 'domo', 'clientSecret'],
  ['spec', 'destination', 'emarsysSales', 'token'],
  ['spec', 'destination', 'dotdigital', 'password'],
];

const credentialsAreSecretRefs: Check = ({ value, report }) => {
  for (const path of CREDENTIAL_PATHS) {
    // Never echo the value: it is probably a real credential.
    if (typeof get(value, ...path) === 'string') {
      report(
        path,
        `${path.join('.')}: a credential must not be written in the definition; use { secret: NAME } and store the value as a repository secret (and rotate this one: it is in git history now)`,
      );
    }
  }
};

// --- Emarsys sales ---------------------------------------------------------------------------------

function emarsysMappedFields(mapping: Record<string, unknown>): string[] {
  const standard = EMARSYS_STANDARD_FIELDS.filter((f) => typeof mapping[f] === 'string');
  const custom = isRecord(mapping.custom) ? Object.keys(mapping.custom) : [];
  return [...standard, ...custom];
}

const emarsysCustomerOrEmail: Check = ({ value, report }) => {
  const mapping = get(value, 'spec', 'mapping');
  if (!isRecord(mapping)) return;
  const has = (k: string) => mapping[k] !== undefined;
  if (has('customer') && has('email')) {
    report(['spec', 'mapping', 'email'], 'spec.mapping: map either customer or email, not both (Emarsys identifies a buyer by one of them)');
  } else if (!has('customer') && !has('email')) {
    report(['spec', 'mapping'], 'spec.mapping: map exactly one of customer (external id) or email');
  }
};

const emarsysCustomFieldNames: Check = ({ value, report }) => {
  const custom = get(value, 'spec', 'mapping', 'custom');
  if (!isRecord(custom)) return;
  for (const name of Object.keys(custom)) {
    const path = ['spec', 'mapping', 'custom', name];
    if ((EMARSYS_STANDARD_FIELDS as readonly string[]).includes(name.toLowerCase())) {
      report(path, `spec.mapping.custom.${name}: "${name}" is a standard Emarsys field; map it as spec.mapping.${name.toLowerCase()}`, true);
    } else if (!CUSTOM_PREFIX.test(name)) {
      report(
        path,
        `spec.mapping.custom.${name}: custom field names need a type prefix: s_ (string), i_ (integer), f_ (float) or t_ (timestamp), then letters, digits or _, e.g. s_${name.replace(/[^A-Za-z0-9_]/g, '_')}`,
        true,
      );
    }
  }
};

const emarsysFieldOrder: Check = ({ value, report }) => {
  const mapping = get(value, 'spec', 'mapping');
  const order = get(value, 'spec', 'fieldOrder');
  if (!isRecord(mapping) || !Array.isArray(order)) return;
  const mapped = emarsysMappedFields(mapping);
  const seen = new Set<string>();
  order.forEach((field, i) => {
    if (typeof field !== 'string') return;
    if (seen.has(field)) report(['spec', 'fieldOrder', i], `spec.fieldOrder[${i}]: "${field}" is listed twice`);
    else if (!mapped.includes(field)) {
      report(['spec', 'fieldOrder', i], `spec.fieldOrder[${i}]: "${field}" is not a mapped field; mapped fields: ${mapped.join(', ')}`);
    }
    seen.add(field);
  });
  const missing = mapped.filter((f) => !seen.has(f));
  if (missing.length) {
    report(['spec', 'fieldOrder'], `spec.fieldOrder: must name every mapped field; missing: ${missing.join(', ')}`);
  }
};

const emarsysDelivery: Check = ({ value, report }) => {
  const mapping = get(value, 'spec', 'mapping');
  const delivery = get(value, 'spec', 'delivery');
  if (!isRecord(delivery)) return;
  const key = delivery.key;
  if (Array.isArray(key) && isRecord(mapping)) {
    const mapped = emarsysMappedFields(mapping);
    key.forEach((field, i) => {
      if (typeof field === 'string' && !mapped.includes(field)) {
        report(['spec', 'delivery', 'key', i], `spec.delivery.key[${i}]: "${field}" is not a mapped Emarsys field; mapped fields: ${mapped.join(', ')}`);
      }
    });
  }
  const lookback = delivery.lookback;
  if (typeof lookback === 'string') {
    if (parseDuration(lookback) === undefined) {
      report(['spec', 'delivery', 'lookback'], `spec.delivery.lookback: "${lookback}" is not a duration; write a number and a unit s, m, h or d, such as 3d or 1d12h`);
    } else if (delivery.cursor === undefined) {
      report(['spec', 'delivery', 'lookback'], 'spec.delivery.lookback: needs spec.delivery.cursor (the date column the window is measured on)');
    }
  }
};

// --- Dotdigital contacts -----------------------------------------------------------------------------

const dotdigitalFieldNames: Check = ({ value, report }) => {
  const fields = get(value, 'spec', 'mapping', 'dataFields');
  if (!isRecord(fields)) return;
  for (const name of Object.keys(fields)) {
    const path = ['spec', 'mapping', 'dataFields', name];
    const where = `spec.mapping.dataFields.${name}`;
    if (name.length > 20) report(path, `${where}: Dotdigital data field names have at most 20 characters (this one has ${name.length})`, true);
    if (!DOTDIGITAL_FIELD_NAME.test(name)) report(path, `${where}: Dotdigital data field names use only letters, digits, - and _`, true);
    if (DOTDIGITAL_RESERVED.includes(name.toLowerCase())) {
      report(path, `${where}: "${name}" is reserved by Dotdigital (${DOTDIGITAL_RESERVED.join(', ')}); the contact's email is spec.mapping.email`, true);
    }
  }
};

const dotdigitalEndpoint: Check = ({ value, report, env }) => {
  const endpoint = get(value, 'spec', 'destination', 'dotdigital', 'endpoint');
  if (typeof endpoint !== 'string') return;
  const path = ['spec', 'destination', 'dotdigital', 'endpoint'];
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    report(path, `spec.destination.dotdigital.endpoint: "${endpoint}" is not a URL; write it as https://r1-api.dotdigital.com`);
    return;
  }
  if (url.protocol !== 'https:' && !isOperatorHost(url, env)) {
    report(path, `spec.destination.dotdigital.endpoint: must use https (credentials travel with every call), not ${url.protocol.replace(':', '')}`);
  } else if (!isAllowedDotdigitalHost(url, env)) {
    report(path, `spec.destination.dotdigital.endpoint: ${url.host} is not one of ${HOSTS_RULE}; credentials are never sent to other hosts`);
  }
};

/** Every `{ secret: NAME }` anywhere in the definition, with its path. */
function secretRefs(node: unknown, path: PathSegment[] = []): { path: PathSegment[]; name: string }[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => secretRefs(item, [...path, i]));
  if (!isRecord(node)) return [];
  if (typeof node.secret === 'string' && Object.keys(node).length === 1) return [{ path: [...path, 'secret'], name: node.secret }];
  return Object.entries(node).flatMap(([key, value]) => secretRefs(value, [...path, key]));
}

const secretsAreTheTeams: Check = ({ value, report }) => {
  for (const { path, name } of secretRefs(value)) {
    const reserved = reservedSecretName(name);
    if (reserved) report(path, `${path.slice(0, -1).join('.')}: secret ${reserved}; store the value as a secret of your own and name that`);
  }
};

/** personalData.fields names fields the job maps: a typo would leave personal values unmasked. */
const personalFieldsAreMapped: Check = ({ value, report }) => {
  const fields = get(value, 'spec', 'personalData', 'fields');
  const mapping = get(value, 'spec', 'mapping');
  if (!Array.isArray(fields) || !isRecord(mapping)) return;
  const dataFields = get(value, 'spec', 'mapping', 'dataFields');
  const mapped = value.kind === 'DotdigitalContactsWriteback' ? ['email', ...(isRecord(dataFields) ? Object.keys(dataFields) : [])] : emarsysMappedFields(mapping);
  fields.forEach((field, i) => {
    if (typeof field === 'string' && !mapped.some((m) => m.toLowerCase() === field.toLowerCase())) {
      report(['spec', 'personalData', 'fields', i], `spec.personalData.fields[${i}]: "${field}" is not a mapped field, so nothing would be masked; mapped fields: ${mapped.join(', ')}`);
    }
  });
};

const COMMON: Check[] = [fileNameMatchesName, scheduleIsValidCron, credentialsAreSecretRefs, secretsAreTheTeams, personalFieldsAreMapped];
const BY_KIND: Record<string, Check[]> = {
  EmarsysSalesWriteback: [emarsysCustomerOrEmail, emarsysCustomFieldNames, emarsysFieldOrder, emarsysDelivery],
  DotdigitalContactsWriteback: [dotdigitalFieldNames, dotdigitalEndpoint],
};

export function runChecks(context: CheckContext): void {
  const kind = typeof context.value.kind === 'string' ? context.value.kind : '';
  for (const check of [...COMMON, ...(BY_KIND[kind] ?? [])]) check(context);
}
