/**
 * Meaning checks for every kind; each destination module adds its own (DestinationModule.checks). They hold
 * what JSON Schema cannot express (the file name, calendars) and give precise messages for the schema rules
 * marked x-checked (envelope-schema.ts): cron expressions, literal credentials, the runner's secret names.
 * Each check reads the (possibly ill-typed) definition defensively and reports every problem it sees; none
 * stops the others.
 */
import { basename, extname } from 'node:path';
import type { DestinationModule } from '../jobs/destination.ts';
import { reservedSecretName } from '../secrets.ts';
import { get, isRecord, type Check, type CheckContext } from './check.ts';
import { nextTick, parseCron, CronError } from './cron.ts';
import type { PathSegment } from './yaml-source.ts';

export type { CheckContext };

const JOB_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

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
const credentialsAreSecretRefs = (module: DestinationModule | undefined): Check => ({ value, report }) => {
  const paths = [['spec', 'source', 'domo', 'clientSecret'], ...(module?.credentialPaths ?? []).map((p) => ['spec', ...p])];
  for (const path of paths) {
    // Never echo the value: it is probably a real credential.
    if (['string', 'number', 'boolean'].includes(typeof get(value, ...path))) {
      report(
        path,
        `${path.join('.')}: a credential must not be written in the definition; use { secret: NAME } and store the value as a repository secret (and rotate this one: it is in git history now)`,
      );
    }
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
const personalFieldsAreMapped = (module: DestinationModule | undefined): Check => ({ value, report }) => {
  const fields = get(value, 'spec', 'personalData', 'fields');
  const spec = get(value, 'spec');
  if (!module || !Array.isArray(fields) || !isRecord(spec)) return;
  const mapped = module.mappedFields(spec);
  fields.forEach((field, i) => {
    if (typeof field === 'string' && !mapped.some((m) => m.toLowerCase() === field.toLowerCase())) {
      report(['spec', 'personalData', 'fields', i], `spec.personalData.fields[${i}]: "${field}" is not a mapped field, so nothing would be masked; mapped fields: ${mapped.join(', ')}`);
    }
  });
};

/** Runs the checks every kind shares and those of the definition's module (undefined: an unknown kind, which the schema reports). */
export function runChecks(context: CheckContext, module: DestinationModule | undefined): void {
  const checks = [fileNameMatchesName, scheduleIsValidCron, credentialsAreSecretRefs(module), secretsAreTheTeams, personalFieldsAreMapped(module), ...(module?.checks ?? [])];
  for (const check of checks) check(context);
}
