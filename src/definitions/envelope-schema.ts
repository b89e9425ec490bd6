/**
 * The parts of the definition schema every kind shares: the envelope (apiVersion, kind, metadata, spec)
 * and the definitions a module's spec schema refers to (#/definitions/domoSource, secretRef...).
 * compose-schema.ts adds each registered module's spec to these.
 *
 * The schema carries every rule JSON Schema (draft-07) can express, so editors running yaml-language-server
 * flag mistakes as they are typed. Besides the standard keywords it uses words editors read and ajv ignores:
 * `patternErrorMessage` and `errorMessage` (the editor's text for a failed pattern, and for the other
 * failures of that schema object), `defaultSnippets` (completions) and `x-checked`: true when a meaning
 * check (checks.ts, a module's checks) reports the failures of this schema object's own keywords with a
 * more precise message, so `writeback validate` shows the check's message instead of the schema's
 * (schema-validator.ts, validator.ts).
 */
import type { JsonSchema } from '../jobs/destination.ts';
import { CRON_PATTERN } from './cron.ts';
import { anyCase } from './patterns.ts';

/** Secret names the runner keeps for itself (secrets.ts, reservedSecretName; a test holds the two equal). */
export const RUNNER_SECRET_PREFIXES = ['GITHUB', 'ACTIONS', 'RUNNER', 'INPUT', 'WRITEBACK'];

/** The completion offered wherever a secret can go. */
export const SECRET_SNIPPET = {
  label: '{ secret: NAME }',
  description: 'Read the value from a repository secret (Settings > Secrets and variables > Actions) or an environment variable.',
  body: { secret: '${1:NAME}' },
};

export const ENVELOPE: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://writeback.dev/schemas/writeback.schema.json',
  title: 'Writeback connector definition',
  description: 'One writeback job: read a Domo DataSet and deliver it to a marketing platform exactly once.',
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    $schema: {
      title: 'JSON Schema',
      type: 'string',
      description: 'Optional JSON Schema reference for editors.',
    },
    apiVersion: {
      title: 'API version',
      description: 'Version of the definition format.',
      type: 'string',
      enum: ['writeback/v1'],
    },
    kind: {
      type: 'string',
    },
    metadata: {
      $ref: '#/definitions/metadata',
    },
    spec: {
      title: 'Spec',
      description: 'What the job reads, where it delivers and how.',
      type: 'object',
    },
  },
};

export const SHARED_DEFINITIONS: Record<string, JsonSchema> = {
  metadata: {
    title: 'Metadata',
    description: 'Identity of the job.',
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: {
      name: {
        title: 'Job name',
        description: "Unique job name; the file must be connectors/<name>.yaml. Lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit.",
        type: 'string',
        pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
        patternErrorMessage: "must be lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit",
      },
      description: {
        title: 'Description',
        description: 'What the job is for, shown in reports.',
        type: 'string',
      },
      owner: {
        title: 'Owner',
        description: 'Team or person responsible, free text.',
        type: 'string',
      },
      labels: {
        title: 'Labels',
        description: 'Free key/value labels.',
        type: 'object',
        additionalProperties: {
          type: 'string',
        },
      },
    },
  },
  secretName: {
    title: 'Secret name',
    description: 'Name of the secret (environment variable or GitHub Actions secret name): letters, digits and _, not starting with a digit.',
    type: 'string',
    pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
    patternErrorMessage: 'a secret name is letters, digits and _, not starting with a digit',
    allOf: [
      {
        pattern: `^(?!(?:${RUNNER_SECRET_PREFIXES.map(anyCase).join('|')})_)`,
        patternErrorMessage: `names starting with ${RUNNER_SECRET_PREFIXES.map((p) => `${p}_`).join(', ')} belong to the runner and never resolve: store the value as a secret of your own and name that`,
        'x-checked': true,
      },
    ],
  },
  secretRef: {
    title: 'Credential: { secret: NAME }',
    description: 'A credential, read at run time from the environment variable NAME or from WRITEBACK_SECRETS. Never write the value itself: it would be in git history for anyone to read.',
    type: 'object',
    required: ['secret'],
    additionalProperties: false,
    properties: {
      secret: {
        $ref: '#/definitions/secretName',
      },
    },
    errorMessage: 'a credential is written as { secret: NAME }, never as the value itself: store the value as a repository secret (Settings > Secrets and variables > Actions) or an environment variable, and name it here',
    'x-checked': true,
    defaultSnippets: [SECRET_SNIPPET],
  },
  stringOrSecret: {
    title: 'Value or { secret: NAME }',
    description: 'A plain value, or { secret: NAME } to read it from a secret.',
    type: ['string', 'object'],
    required: ['secret'],
    additionalProperties: false,
    properties: {
      secret: {
        $ref: '#/definitions/secretName',
      },
    },
    defaultSnippets: [SECRET_SNIPPET],
  },
  schedule: {
    title: 'Schedule (cron, UTC)',
    description: 'When the job is due: a 5-field cron expression (minute hour day-of-month month day-of-week) in UTC. Absent: due at every reconcile.',
    type: 'string',
    pattern: CRON_PATTERN,
    patternErrorMessage: 'not a cron expression: write 5 fields (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of week 0-7 or SUN-SAT), each *, a value, a range a-b, a step /n or a list a,b; such as "17 5 * * *" (05:17 UTC every day)',
    'x-checked': true,
    defaultSnippets: [
      { label: 'every day', description: 'Every day at 05:17 UTC.', body: '${1:17} ${2:5} * * *' },
      { label: 'every 30 minutes', description: 'At minutes 0 and 30 of every hour.', body: '*/${1:30} * * * *' },
      { label: 'weekdays', description: 'Monday to Friday at 06:00 UTC.', body: '${1:0} ${2:6} * * mon-fri' },
    ],
  },
  suspend: {
    title: 'Suspend',
    description: 'true pauses the job; it is reported as Suspended.',
    type: 'boolean',
  },
  domoSource: {
    title: 'Source',
    description: 'Where the rows come from.',
    type: 'object',
    required: ['domo'],
    additionalProperties: false,
    properties: {
      domo: {
        title: 'Domo DataSet',
        description: 'A Domo DataSet read through the Domo platform API.',
        type: 'object',
        required: ['datasetId', 'clientId', 'clientSecret'],
        additionalProperties: false,
        properties: {
          datasetId: {
            title: 'DataSet id',
            description: "The DataSet id (the UUID in the DataSet's URL).",
            type: 'string',
            minLength: 1,
          },
          clientId: {
            title: 'Domo client id',
            description: 'Domo API client id (developer.domo.com > My Account > Clients), usually { secret: DOMO_CLIENT_ID }.',
            $ref: '#/definitions/stringOrSecret',
          },
          clientSecret: {
            title: 'Domo client secret',
            description: 'Domo API client secret, as { secret: NAME }.',
            $ref: '#/definitions/secretRef',
          },
          read: {
            title: 'How to read',
            description:
              "auto (default): only the job's window (rows from the delivered cursor minus the lookback) through Domo's query API when the job has one, the whole CSV export otherwise; query: always the query API; export: always the whole export. A Dotdigital job with changedOnly needs every contact: it reads the export, and query is refused.",
            enum: ['auto', 'query', 'export'],
            default: 'auto',
          },
        },
      },
    },
    defaultSnippets: [
      {
        label: 'Domo DataSet',
        description: 'A DataSet id and the Domo client credentials as secrets.',
        body: { domo: { datasetId: '${1:DATASET_ID}', clientId: { secret: '${2:DOMO_CLIENT_ID}' }, clientSecret: { secret: '${3:DOMO_CLIENT_SECRET}' } } },
      },
    ],
  },
  rejects: {
    title: 'Rejects',
    description: 'How many invalid rows a run tolerates.',
    type: 'object',
    additionalProperties: false,
    properties: {
      maxRatio: {
        title: 'Largest share of invalid rows',
        description: 'Largest share of invalid rows (0 to 1) a run accepts; above it the run fails before sending anything. Default 0: any invalid row fails the run.',
        type: 'number',
        minimum: 0,
        maximum: 1,
      },
    },
  },
  personalData: {
    title: 'Personal data',
    description: "Personal data in what the runner shows: plan comments, reports, alert issues and logs. Each destination's own personal fields (an email, a customer id) always are.",
    type: 'object',
    additionalProperties: false,
    properties: {
      fields: {
        title: 'Personal fields',
        description: 'More destination fields that hold personal data (a first name, a phone number): masked like emails. Each must be a field the mapping maps.',
        type: 'array',
        items: {
          type: 'string',
          minLength: 1,
        },
        uniqueItems: true,
      },
      mask: {
        title: 'Mask personal values',
        description: 'Mask personal values (j***@example.com, C***) in plans, reports, issues and logs. Default true; false shows them as they are.',
        type: 'boolean',
      },
    },
  },
};
