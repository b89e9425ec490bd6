/**
 * The JSON Schema (draft-07) of an EmarsysSalesWriteback's spec, composed into schemas/writeback.schema.json
 * (`npm run schemas`). Refers to the shared parts of definitions/envelope-schema.ts as #/definitions/<name>.
 */
import type { JsonSchema } from '../../jobs/destination.ts';

export const SALES_SCHEMA: { spec: JsonSchema } = {
  "spec": {
    "description": "An Emarsys sales data (Smart Insight) writeback.",
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
        "description": "Where the sales data goes.",
        "type": "object",
        "required": [
          "emarsysSales"
        ],
        "additionalProperties": false,
        "properties": {
          "emarsysSales": {
            "description": "Emarsys sales data API (Admin > Data Sources > Sales Data > Show API upload details).",
            "type": "object",
            "required": [
              "merchantId",
              "token"
            ],
            "additionalProperties": false,
            "properties": {
              "merchantId": {
                "description": "The merchant id (16 hexadecimal characters), plain or { secret: NAME }.",
                "$ref": "#/definitions/stringOrSecret"
              },
              "token": {
                "description": "The sales data API token. Must be { secret: NAME }.",
                "$ref": "#/definitions/stringOrSecret"
              }
            }
          }
        }
      },
      "mapping": {
        "description": "Emarsys field: Domo column.",
        "type": "object",
        "required": [
          "order",
          "timestamp",
          "item",
          "price",
          "quantity"
        ],
        "additionalProperties": false,
        "properties": {
          "order": {
            "description": "Column with the order id (required).",
            "type": "string",
            "minLength": 1
          },
          "timestamp": {
            "description": "Column with the order time (required); sent as UTC ISO 8601.",
            "type": "string",
            "minLength": 1
          },
          "customer": {
            "description": "Column with the contact's external id. Exactly one of customer / email.",
            "type": "string",
            "minLength": 1
          },
          "email": {
            "description": "Column with the contact's email. Exactly one of customer / email.",
            "type": "string",
            "minLength": 1
          },
          "item": {
            "description": "Column with the product id as in the product catalog (required).",
            "type": "string",
            "minLength": 1
          },
          "price": {
            "description": "Column with the line total, unit price x quantity (required).",
            "type": "string",
            "minLength": 1
          },
          "quantity": {
            "description": "Column with the number of items on the line (required).",
            "type": "string",
            "minLength": 1
          },
          "custom": {
            "description": "Optional Emarsys fields: name (with type prefix s_ string, i_ integer, f_ float, t_ timestamp): Domo column.",
            "type": "object",
            "additionalProperties": {
              "type": "string",
              "minLength": 1
            }
          }
        }
      },
      "fieldOrder": {
        "description": "Column order of every file sent (agreed with Emarsys at onboarding). Default: Emarsys's documented order item, price, order, timestamp, customer/email, quantity, then custom fields as written (a job that already delivered keeps the order it used).",
        "type": "array",
        "items": {
          "type": "string"
        }
      },
      "delivery": {
        "description": "How the job decides what is new.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "cursor": {
            "description": "A date or datetime column; each run reads rows from (last delivered cursor - lookback).",
            "type": "string",
            "minLength": 1
          },
          "lookback": {
            "description": "Window for late rows, such as 3d, 12h, 90m (units s, m, h, d; may be combined: 1d12h).",
            "type": "string"
          },
          "key": {
            "description": "Emarsys fields that identify one order line; a line with a delivered key is never sent again. Default: [order, item].",
            "type": "array",
            "minItems": 1,
            "items": {
              "type": "string"
            }
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
  }
};
