/**
 * The parts of the definition schema every kind shares: the envelope (apiVersion, kind, metadata, spec)
 * and the definitions a module's spec schema refers to (#/definitions/domoSource, stringOrSecret...).
 * compose-schema.ts adds each registered module's spec to these.
 */
import type { JsonSchema } from '../jobs/destination.ts';

export const ENVELOPE: JsonSchema = {
  "$schema": "http://json-schema.org/draft-07/schema#",
  "$id": "https://writeback.dev/schemas/writeback.schema.json",
  "title": "Writeback connector definition",
  "description": "One writeback job: read a Domo DataSet and deliver it to a marketing platform exactly once.",
  "type": "object",
  "required": [
    "apiVersion",
    "kind",
    "metadata",
    "spec"
  ],
  "additionalProperties": false,
  "properties": {
    "$schema": {
      "type": "string",
      "description": "Optional JSON Schema reference for editors."
    },
    "apiVersion": {
      "description": "Version of the definition format.",
      "type": "string",
      "enum": [
        "writeback/v1"
      ]
    },
    "kind": {
      "type": "string"
    },
    "metadata": {
      "$ref": "#/definitions/metadata"
    },
    "spec": {
      "description": "What the job reads, where it delivers and how.",
      "type": "object"
    }
  }
};

export const SHARED_DEFINITIONS: Record<string, JsonSchema> = {
  "metadata": {
    "description": "Identity of the job.",
    "type": "object",
    "required": [
      "name"
    ],
    "additionalProperties": false,
    "properties": {
      "name": {
        "description": "Unique job name; the file must be connectors/<name>.yaml. Lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit.",
        "type": "string",
        "pattern": "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
      },
      "description": {
        "description": "What the job is for, shown in reports.",
        "type": "string"
      },
      "owner": {
        "description": "Team or person responsible, free text.",
        "type": "string"
      },
      "labels": {
        "description": "Free key/value labels.",
        "type": "object",
        "additionalProperties": {
          "type": "string"
        }
      }
    }
  },
  "secretRef": {
    "description": "A reference to a secret resolved at run time from the environment variable NAME or from WRITEBACK_SECRETS.",
    "type": "object",
    "required": [
      "secret"
    ],
    "additionalProperties": false,
    "properties": {
      "secret": {
        "description": "Name of the secret (environment variable or GitHub Actions secret name).",
        "type": "string",
        "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"
      }
    }
  },
  "stringOrSecret": {
    "description": "A plain value, or { secret: NAME } to read it from a secret.",
    "type": [
      "string",
      "object"
    ],
    "required": [
      "secret"
    ],
    "additionalProperties": false,
    "properties": {
      "secret": {
        "description": "Name of the secret (environment variable or GitHub Actions secret name).",
        "type": "string",
        "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"
      }
    }
  },
  "schedule": {
    "description": "When the job is due: a 5-field cron expression (minute hour day-of-month month day-of-week) in UTC. Absent: due at every reconcile.",
    "type": "string"
  },
  "suspend": {
    "description": "true pauses the job; it is reported as Suspended.",
    "type": "boolean"
  },
  "domoSource": {
    "description": "Where the rows come from.",
    "type": "object",
    "required": [
      "domo"
    ],
    "additionalProperties": false,
    "properties": {
      "domo": {
        "description": "A Domo DataSet read through the Domo platform API.",
        "type": "object",
        "required": [
          "datasetId",
          "clientId",
          "clientSecret"
        ],
        "additionalProperties": false,
        "properties": {
          "datasetId": {
            "description": "The DataSet id (the UUID in the DataSet's URL).",
            "type": "string",
            "minLength": 1
          },
          "clientId": {
            "description": "Domo API client id (developer.domo.com > My Account > Clients), usually { secret: DOMO_CLIENT_ID }.",
            "$ref": "#/definitions/stringOrSecret"
          },
          "clientSecret": {
            "description": "Domo API client secret. Must be { secret: NAME }.",
            "$ref": "#/definitions/stringOrSecret"
          }
        }
      }
    }
  },
  "rejects": {
    "description": "How many invalid rows a run tolerates.",
    "type": "object",
    "additionalProperties": false,
    "properties": {
      "maxRatio": {
        "description": "Largest share of invalid rows (0 to 1) a run accepts; above it the run fails before sending anything. Default 0: any invalid row fails the run.",
        "type": "number",
        "minimum": 0,
        "maximum": 1
      }
    }
  },
  "personalData": {
    "description": "Personal data in what the runner shows: plan comments, reports, alert issues and logs. Each destination's own personal fields (an email, a customer id) always are.",
    "type": "object",
    "additionalProperties": false,
    "properties": {
      "fields": {
        "description": "More destination fields that hold personal data (a first name, a phone number): masked like emails.",
        "type": "array",
        "items": {
          "type": "string",
          "minLength": 1
        },
        "uniqueItems": true
      },
      "mask": {
        "description": "Mask personal values (j***@example.com, C***) in plans, reports, issues and logs. Default true; false shows them as they are.",
        "type": "boolean"
      }
    }
  }
};
