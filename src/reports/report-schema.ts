/**
 * The run report schema (schemas/report.schema.json) every kind shares; each module's reportSchema adds
 * the fields it reports (composed by definitions/compose-schema.ts, written by `npm run schemas`).
 */
import type { JsonSchema } from '../jobs/destination.ts';

export const BASE_REPORT_SCHEMA: JsonSchema = {
  "$schema": "http://json-schema.org/draft-07/schema#",
  "$id": "https://writeback.dev/schemas/report.schema.json",
  "title": "Writeback run report",
  "description": "What one run of one job did: reports/<name>/<runId>.json.",
  "type": "object",
  "required": [
    "name",
    "kind",
    "runId",
    "startedAt",
    "finishedAt",
    "status",
    "rows",
    "message"
  ],
  "additionalProperties": false,
  "definitions": {
    "count": {
      "type": "integer",
      "minimum": 0
    },
    "time": {
      "type": "string",
      "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$"
    }
  },
  "properties": {
    "name": {
      "description": "The job (metadata.name).",
      "type": "string"
    },
    "kind": {
      "description": "The definition kind.",
      "type": "string"
    },
    "runId": {
      "description": "Sortable run id: UTC start time and a random suffix.",
      "type": "string",
      "pattern": "^\\d{8}T\\d{6}Z-[a-z0-9]+$"
    },
    "startedAt": {
      "$ref": "#/definitions/time"
    },
    "finishedAt": {
      "$ref": "#/definitions/time"
    },
    "status": {
      "description": "succeeded: all due data delivered; failed: see message and error; skipped: not run (another run held the lock); held: a person must decide something first (an upload whose outcome is unknown, say); suspended: spec.suspend is true.",
      "type": "string",
      "enum": [
        "succeeded",
        "failed",
        "skipped",
        "held",
        "suspended"
      ]
    },
    "rows": {
      "description": "Row counts of the run.",
      "type": "object",
      "required": [
        "read",
        "sent",
        "rejected",
        "skipped"
      ],
      "additionalProperties": false,
      "properties": {
        "read": {
          "description": "Data rows read from the export.",
          "$ref": "#/definitions/count"
        },
        "sent": {
          "description": "Lines the destination accepted.",
          "$ref": "#/definitions/count"
        },
        "rejected": {
          "description": "Rows that cannot be delivered (see rejects).",
          "$ref": "#/definitions/count"
        },
        "skipped": {
          "description": "Rows not sent on purpose (see skipped).",
          "$ref": "#/definitions/count"
        }
      }
    },
    "message": {
      "description": "What happened, in a sentence or two.",
      "type": "string"
    },
    "action": {
      "description": "What a person must do now.",
      "type": "string"
    },
    "dryRun": {
      "type": "boolean"
    },
    "definitionChanged": {
      "description": "The definition changed since the previous run.",
      "type": "boolean"
    },
    "source": {
      "type": "object",
      "required": [
        "datasetId"
      ],
      "additionalProperties": false,
      "properties": {
        "datasetId": {
          "type": "string"
        },
        "datasetName": {
          "type": "string"
        },
        "rowsAnnounced": {
          "$ref": "#/definitions/count"
        },
        "updatedAt": {
          "type": "string"
        },
        "rowPolicies": {
          "type": "object",
          "description": "Set when Domo row policies (PDP) apply: this client reads visibleRows of allRows.",
          "additionalProperties": false,
          "required": [
            "visibleRows",
            "allRows"
          ],
          "properties": {
            "visibleRows": {
              "$ref": "#/definitions/count"
            },
            "allRows": {
              "$ref": "#/definitions/count"
            }
          }
        },
        "read": {
          "enum": [
            "export",
            "query"
          ],
          "description": "How the DataSet was read: its whole CSV export, or only the job's window through Domo's query API."
        },
        "rowsInWindow": {
          "$ref": "#/definitions/count",
          "description": "For a read through the query API: the rows its COUNT(*) found in the window (rows read must reach it)."
        },
        "windowFrom": {
          "type": "string",
          "description": "For a read through the query API: the window's first instant, as sent in its WHERE clause."
        }
      }
    },
    "skipped": {
      "description": "Rows read but not sent, by reason (the reasons depend on the kind of job: alreadyDelivered, beforeWindow, unchanged, duplicateInExport...).",
      "type": "object",
      "additionalProperties": {
        "$ref": "#/definitions/count"
      }
    },
    "rejects": {
      "description": "The first rejected rows (up to 100), each with its data row number (header not counted; of a query read, in the order read), an Emarsys row's order id, and the reason.",
      "type": "array",
      "items": {
        "type": "object",
        "required": [
          "row",
          "field",
          "column",
          "reason"
        ],
        "additionalProperties": false,
        "properties": {
          "row": {
            "type": "integer",
            "minimum": 1
          },
          "order": {
            "description": "The row's order id as the DataSet holds it (masked when personal), to find it by.",
            "type": "string"
          },
          "field": {
            "type": "string"
          },
          "column": {
            "type": "string"
          },
          "reason": {
            "type": "string"
          }
        }
      }
    },
    "rejectsOmitted": {
      "description": "Rejected rows counted but not listed.",
      "$ref": "#/definitions/count"
    },
    "dryRunFiles": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "error": {
      "type": "object",
      "required": [
        "message"
      ],
      "additionalProperties": false,
      "properties": {
        "message": {
          "type": "string"
        },
        "service": {
          "type": "string"
        },
        "status": {
          "type": "integer"
        },
        "traceId": {
          "description": "Vendor trace id (Domo's toe) for support.",
          "type": "string"
        }
      }
    },
    "warnings": {
      "description": "Things that did not fail the run but deserve a look.",
      "type": "array",
      "items": {
        "type": "string"
      }
    }
  }
};
