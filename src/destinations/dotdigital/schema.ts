/**
 * The JSON Schema (draft-07) of a DotdigitalContactsWriteback's spec, composed into schemas/writeback.schema.json
 * (`npm run schemas`). Refers to the shared parts of definitions/envelope-schema.ts as #/definitions/<name>,
 * whose header explains the editor keywords (patternErrorMessage, errorMessage, defaultSnippets, x-checked).
 * The meaning checks (checks.ts) report the rules marked x-checked in `validate`, with their own messages.
 */
import type { JsonSchema } from '../../jobs/destination.ts';
import { noneOf } from '../../definitions/patterns.ts';
import { DOTDIGITAL_FIELD_NAME_PATTERN, DOTDIGITAL_RESERVED } from './checks.ts';

/** Dotdigital's rules for a data field's name (checks.ts words each one in `validate`). */
const DATA_FIELD_NAME: JsonSchema = {
  pattern: `${DOTDIGITAL_FIELD_NAME_PATTERN.slice(0, -2)}{1,20}$`,
  patternErrorMessage: 'Dotdigital data field names have 1 to 20 characters: letters, digits, - and _',
  allOf: [
    {
      pattern: noneOf(DOTDIGITAL_RESERVED),
      patternErrorMessage: `reserved by Dotdigital (${DOTDIGITAL_RESERVED.join(', ')}); the contact's email is spec.mapping.email`,
      'x-checked': true,
    },
  ],
  'x-checked': true,
};

export const CONTACTS_SCHEMA: { spec: JsonSchema; definitions: Record<string, JsonSchema> } = {
  "spec": {
    "title": "Dotdigital contacts job",
    "description": "A Dotdigital contacts writeback.",
    "type": "object",
    "required": [
      "source",
      "destination",
      "mapping"
    ],
    "additionalProperties": false,
    "properties": {
      "schedule": {
        "$ref": "#/definitions/schedule"
      },
      "suspend": {
        "$ref": "#/definitions/suspend"
      },
      "source": {
        "$ref": "#/definitions/domoSource"
      },
      "destination": {
        "title": "Destination",
        "description": "Where the contacts go.",
        "type": "object",
        "required": [
          "dotdigital"
        ],
        "additionalProperties": false,
        "properties": {
          "dotdigital": {
            "title": "Dotdigital account",
            "description": "A Dotdigital account, through an API user.",
            "type": "object",
            "required": [
              "username",
              "password"
            ],
            "additionalProperties": false,
            "properties": {
              "username": {
                "title": "API user",
                "description": "The API user's email, plain or { secret: NAME }.",
                "$ref": "#/definitions/stringOrSecret"
              },
              "password": {
                "title": "API user's password",
                "description": "The API user's password, as { secret: NAME }.",
                "$ref": "#/definitions/secretRef"
              },
              "region": {
                "title": "Region",
                "description": "r1 Europe, r2 North America, r3 Asia Pacific. Absent: discovered via account-info.",
                "type": "string",
                "enum": [
                  "r1",
                  "r2",
                  "r3"
                ]
              },
              "endpoint": {
                "title": "API endpoint",
                "description": "Custom API domain (https, one of Dotdigital's API hosts such as https://r1-api.dotdigital.com, or a host the operator allows in WRITEBACK_ALLOWED_HOSTS).",
                "type": "string"
              },
              "addressBookId": {
                "title": "Address book id",
                "description": "Import into this address book.",
                "type": "integer",
                "minimum": 1
              },
              "mergeOption": {
                "title": "Merge option",
                "description": "How imported values merge with existing contact data. Default OnlyOverwriteIfNotEmpty.",
                "type": "string",
                "enum": [
                  "Overwrite",
                  "OnlyOverwriteIfNotEmpty",
                  "OnlyOverwriteIfContactDataNotPopulated"
                ]
              }
            }
          }
        }
      },
      "mapping": {
        "title": "Mapping",
        "description": "Contact email and data fields.",
        "type": "object",
        "required": [
          "email"
        ],
        "additionalProperties": false,
        "properties": {
          "email": {
            "title": "Email column",
            "description": "Column with the contact's email address.",
            "type": "string",
            "minLength": 1
          },
          "dataFields": {
            "title": "Data fields",
            "description": "Dotdigital data field name (at most 20 letters, digits, - and _; not email, id, contactid, notes or unsubscribed): Domo column, or the long form { column, type, create }.",
            "type": "object",
            "propertyNames": DATA_FIELD_NAME,
            "additionalProperties": {
              "$ref": "#/definitions/dotdigitalDataField"
            }
          }
        }
      },
      "delivery": {
        "title": "Delivery",
        "description": "How the job decides what is new.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "changedOnly": {
            "title": "Changed contacts only",
            "description": "Send only contacts whose mapped values changed since their last accepted import.",
            "type": "boolean"
          }
        }
      },
      "rejects": {
        "$ref": "#/definitions/rejects"
      },
      "personalData": {
        "$ref": "#/definitions/personalData"
      }
    },
    // changedOnly reads every contact from the export (checks.ts, changedOnlyReadsTheExport, says why in validate).
    "if": { "required": ["delivery"], "properties": { "delivery": { "required": ["changedOnly"], "properties": { "changedOnly": { "const": true } } } } },
    "then": {
      "properties": {
        "source": {
          "properties": {
            "domo": {
              "properties": {
                "read": { "not": { "const": "query" }, "errorMessage": "read: query cannot be used with delivery.changedOnly, which reads every contact from the export", "x-checked": true }
              }
            }
          }
        }
      }
    }
  },
  "definitions": {
    "dotdigitalDataField": {
      "title": "Data field",
      "description": "A Domo column, or { column, type, create } to declare the field's type and allow creating it.",
      "type": [
        "string",
        "object"
      ],
      "minLength": 1,
      "required": [
        "column"
      ],
      "additionalProperties": false,
      "properties": {
        "column": {
          "title": "Column",
          "description": "The Domo column.",
          "type": "string",
          "minLength": 1
        },
        "type": {
          "title": "Type",
          "description": "The Dotdigital data field type (default String).",
          "type": "string",
          "enum": [
            "String",
            "Numeric",
            "Date",
            "Boolean"
          ]
        },
        "create": {
          "title": "Create",
          "description": "Create the data field in Dotdigital when it is missing.",
          "type": "boolean"
        }
      },
      "defaultSnippets": [
        { "label": "{ column, type, create }", "description": "Declare the field's type and create it when it is missing.", "body": { "column": "${1:column}", "type": "${2|String,Numeric,Date,Boolean|}", "create": true } }
      ]
    }
  }
};
