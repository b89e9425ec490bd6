/**
 * The JSON Schema (draft-07) of a DotdigitalContactsWriteback's spec, composed into schemas/writeback.schema.json
 * (`npm run schemas`). Refers to the shared parts of definitions/envelope-schema.ts as #/definitions/<name>.
 */
import type { JsonSchema } from '../../jobs/destination.ts';

export const CONTACTS_SCHEMA: { spec: JsonSchema; definitions: Record<string, JsonSchema> } = {
  "spec": {
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
        "description": "Where the contacts go.",
        "type": "object",
        "required": [
          "dotdigital"
        ],
        "additionalProperties": false,
        "properties": {
          "dotdigital": {
            "description": "A Dotdigital account, through an API user.",
            "type": "object",
            "required": [
              "username",
              "password"
            ],
            "additionalProperties": false,
            "properties": {
              "username": {
                "description": "The API user's email, plain or { secret: NAME }.",
                "$ref": "#/definitions/stringOrSecret"
              },
              "password": {
                "description": "The API user's password. Must be { secret: NAME }.",
                "$ref": "#/definitions/stringOrSecret"
              },
              "region": {
                "description": "r1 Europe, r2 North America, r3 Asia Pacific. Absent: discovered via account-info.",
                "type": "string",
                "enum": [
                  "r1",
                  "r2",
                  "r3"
                ]
              },
              "endpoint": {
                "description": "Custom API domain (https only).",
                "type": "string"
              },
              "addressBookId": {
                "description": "Import into this address book.",
                "type": "integer",
                "minimum": 1
              },
              "mergeOption": {
                "description": "How imported values merge with existing contact data.",
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
        "description": "Contact email and data fields.",
        "type": "object",
        "required": [
          "email"
        ],
        "additionalProperties": false,
        "properties": {
          "email": {
            "description": "Column with the contact's email address.",
            "type": "string",
            "minLength": 1
          },
          "dataFields": {
            "description": "Dotdigital data field name: Domo column, or the long form { column, type, create }.",
            "type": "object",
            "additionalProperties": {
              "$ref": "#/definitions/dotdigitalDataField"
            }
          }
        }
      },
      "delivery": {
        "description": "How the job decides what is new.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "changedOnly": {
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
    }
  },
  "definitions": {
    "dotdigitalDataField": {
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
          "description": "The Domo column.",
          "type": "string",
          "minLength": 1
        },
        "type": {
          "description": "The Dotdigital data field type.",
          "type": "string",
          "enum": [
            "String",
            "Numeric",
            "Date",
            "Boolean"
          ]
        },
        "create": {
          "description": "Create the data field in Dotdigital when it is missing.",
          "type": "boolean"
        }
      }
    }
  }
};
