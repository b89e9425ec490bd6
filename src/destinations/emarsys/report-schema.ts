/** The fields a job of this kind adds to its run reports (JSON Schema properties, composed into schemas/report.schema.json). */
import type { JsonSchema } from '../../jobs/destination.ts';

export const SALES_REPORT_SCHEMA: Record<string, JsonSchema> = {
  "window": {
    "description": "The delivery cursor and the window read.",
    "type": "object",
    "required": [
      "cursor"
    ],
    "additionalProperties": false,
    "properties": {
      "cursor": {
        "type": "string"
      },
      "previousCursor": {
        "type": "string"
      },
      "readFrom": {
        "type": "string"
      },
      "newCursor": {
        "type": "string"
      }
    }
  },
  "uploads": {
    "type": "array",
    "items": {
      "type": "object",
      "required": [
        "part",
        "lines",
        "bytes",
        "sha256",
        "outcome"
      ],
      "additionalProperties": false,
      "properties": {
        "part": {
          "type": "integer",
          "minimum": 1
        },
        "lines": {
          "$ref": "#/definitions/count"
        },
        "bytes": {
          "$ref": "#/definitions/count"
        },
        "sha256": {
          "type": "string",
          "pattern": "^[0-9a-f]{64}$"
        },
        "outcome": {
          "type": "string",
          "enum": [
            "accepted",
            "rejected",
            "unknown"
          ]
        }
      }
    }
  }
};
