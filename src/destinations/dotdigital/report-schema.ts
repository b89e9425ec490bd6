/** The fields a job of this kind adds to its run reports (JSON Schema properties, composed into schemas/report.schema.json). */
import type { JsonSchema } from '../../jobs/destination.ts';

export const CONTACTS_REPORT_SCHEMA: Record<string, JsonSchema> = {
  "destination": {
    "description": "Where the destination was reached and how that was decided.",
    "type": "object",
    "required": [
      "endpoint",
      "how"
    ],
    "additionalProperties": false,
    "properties": {
      "endpoint": {
        "type": "string"
      },
      "how": {
        "type": "string"
      }
    }
  },
  "imports": {
    "description": "Dotdigital imports, one per file.",
    "type": "array",
    "items": {
      "type": "object",
      "required": [
        "part",
        "id",
        "lines",
        "status"
      ],
      "additionalProperties": false,
      "properties": {
        "part": {
          "type": "integer",
          "minimum": 1
        },
        "id": {
          "type": "string"
        },
        "lines": {
          "$ref": "#/definitions/count"
        },
        "status": {
          "type": "string"
        },
        "faults": {
          "$ref": "#/definitions/count"
        },
        "report": {
          "type": "object",
          "additionalProperties": {
            "type": "integer"
          }
        }
      }
    }
  },
  "fieldsCreated": {
    "description": "Dotdigital data fields this run created.",
    "type": "array",
    "items": {
      "type": "string"
    }
  }
};
