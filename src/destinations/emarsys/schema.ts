/**
 * The JSON Schema (draft-07) of an EmarsysSalesWriteback's spec, composed into schemas/writeback.schema.json
 * (`npm run schemas`). Refers to the shared parts of definitions/envelope-schema.ts as #/definitions/<name>,
 * whose header explains the editor keywords (patternErrorMessage, errorMessage, defaultSnippets, x-checked).
 * The meaning checks (checks.ts) report the rules marked x-checked in `validate`, with their own messages.
 */
import type { JsonSchema } from '../../jobs/destination.ts';
import { DURATION_PATTERN } from '../../definitions/duration.ts';
import { CUSTOM_FIELD_PATTERN } from './checks.ts';
import { EMARSYS_STANDARD_FIELDS } from './spec.ts';

const CUSTOM_HINT = 'a custom field name needs a type prefix: s_ (string), i_ (integer), f_ (float) or t_ (timestamp), then letters, digits or _, such as s_channel';

/** A field a file can have: a standard field or a custom one (whether the mapping maps it is for checks.ts). */
const salesField = (what: string): JsonSchema => ({
  type: 'string',
  pattern: `^(?:${EMARSYS_STANDARD_FIELDS.join('|')}|${CUSTOM_FIELD_PATTERN.slice(1, -1)})$`,
  patternErrorMessage: `is not an Emarsys field: ${what} names standard fields (${EMARSYS_STANDARD_FIELDS.join(', ')}) or custom ones with a type prefix (s_, i_, f_, t_)`,
  'x-checked': true,
});

const column = (title: string, description: string): JsonSchema => ({ title, description, type: 'string', minLength: 1 });

/** fieldOrder names every standard field the mapping maps (its custom fields are beyond a schema: checks.ts). */
const FIELD_ORDER_HAS_MAPPED_FIELDS: JsonSchema[] = EMARSYS_STANDARD_FIELDS.map((field) => ({
  if: { required: ['mapping'], properties: { mapping: { type: 'object', required: [field], properties: { [field]: { type: 'string' } } } } },
  then: {
    properties: {
      fieldOrder: {
        contains: { const: field },
        errorMessage: `fieldOrder must name every mapped field: ${field} is missing`,
        'x-checked': true,
      },
    },
  },
}));

export const SALES_SCHEMA: { spec: JsonSchema } = {
  spec: {
    title: 'Emarsys sales job',
    description: 'An Emarsys sales data (Smart Insight) writeback.',
    type: 'object',
    required: ['source', 'destination', 'mapping'],
    additionalProperties: false,
    properties: {
      schedule: { $ref: '#/definitions/schedule' },
      suspend: { $ref: '#/definitions/suspend' },
      source: { $ref: '#/definitions/domoSource' },
      destination: {
        title: 'Destination',
        description: 'Where the sales data goes.',
        type: 'object',
        required: ['emarsysSales'],
        additionalProperties: false,
        properties: {
          emarsysSales: {
            title: 'Emarsys sales data API',
            description: 'Emarsys sales data API (Admin > Data Sources > Sales Data > Show API upload details).',
            type: 'object',
            required: ['merchantId', 'token'],
            additionalProperties: false,
            properties: {
              merchantId: {
                title: 'Merchant id',
                description: 'The merchant id (16 hexadecimal characters), plain or { secret: NAME }.',
                $ref: '#/definitions/stringOrSecret',
              },
              token: {
                title: 'Sales data API token',
                description: 'The sales data API token, as { secret: NAME }.',
                $ref: '#/definitions/secretRef',
              },
            },
            defaultSnippets: [
              {
                label: 'Emarsys sales data API',
                description: 'The merchant id and the API token as secrets.',
                body: { merchantId: { secret: '${1:EMARSYS_MERCHANT_ID}' }, token: { secret: '${2:EMARSYS_SALES_TOKEN}' } },
              },
            ],
          },
        },
      },
      mapping: {
        title: 'Mapping (Emarsys field: Domo column)',
        description: 'Emarsys field: Domo column. Exactly one of customer / email.',
        type: 'object',
        required: ['order', 'timestamp', 'item', 'price', 'quantity'],
        additionalProperties: false,
        properties: {
          order: column('Order id column', 'Column with the order id (required).'),
          timestamp: column('Order time column', 'Column with the order time (required); sent as UTC ISO 8601.'),
          customer: column('Customer id column', "Column with the contact's external id. Exactly one of customer / email."),
          email: column('Email column', "Column with the contact's email. Exactly one of customer / email."),
          item: column('Item column', 'Column with the product id as in the product catalog (required).'),
          price: column('Price column', 'Column with the line total, unit price x quantity (required).'),
          quantity: column('Quantity column', 'Column with the number of items on the line (required).'),
          custom: {
            title: 'Custom fields',
            description: 'Optional Emarsys fields: name (with type prefix s_ string, i_ integer, f_ float, t_ timestamp): Domo column.',
            type: 'object',
            propertyNames: { pattern: CUSTOM_FIELD_PATTERN, patternErrorMessage: CUSTOM_HINT, 'x-checked': true },
            additionalProperties: { type: 'string', minLength: 1 },
            defaultSnippets: [{ label: 's_ field', description: 'A custom string field.', body: { 's_${1:name}': '${2:column}' } }],
          },
        },
        // Exactly one of customer / email: Emarsys identifies a buyer by one of them.
        anyOf: [
          { required: ['customer'], errorMessage: 'map exactly one of customer (external id) or email', 'x-checked': true },
          { required: ['email'], errorMessage: 'map exactly one of customer (external id) or email', 'x-checked': true },
        ],
        dependencies: {
          customer: {
            properties: { email: false },
            errorMessage: 'map either customer or email, not both (Emarsys identifies a buyer by one of them)',
            'x-checked': true,
          },
        },
        defaultSnippets: [
          {
            label: 'standard fields',
            description: 'Every required Emarsys field and the customer id.',
            body: { order: '${1:order_id}', timestamp: '${2:ordered_at}', customer: '${3:customer_id}', item: '${4:sku}', price: '${5:line_total}', quantity: '${6:qty}' },
          },
        ],
      },
      fieldOrder: {
        title: 'Field order',
        description: "Column order of every file sent (agreed with Emarsys at onboarding); names every mapped field once. Default: Emarsys's documented order item, price, order, timestamp, customer/email, quantity, then custom fields as written (a job that already delivered keeps the order it used).",
        type: 'array',
        items: salesField('fieldOrder'),
        uniqueItems: true,
        'x-checked': true,
      },
      delivery: {
        title: 'Delivery',
        description: 'How the job decides what is new.',
        type: 'object',
        additionalProperties: false,
        properties: {
          cursor: column('Cursor column', 'A date or datetime column; each run reads rows from (last delivered cursor - lookback).'),
          lookback: {
            title: 'Lookback',
            description: 'Window for late rows, such as 3d, 12h, 90m (units s, m, h, d; may be combined: 1d12h). Needs cursor.',
            type: 'string',
            pattern: DURATION_PATTERN,
            patternErrorMessage: 'not a duration: write a number and a unit s, m, h or d, such as 3d or 1d12h',
            'x-checked': true,
            defaultSnippets: [{ label: '3d', description: 'Three days.', body: '${1:3}d' }],
          },
          key: {
            title: 'Line key',
            description: 'Emarsys fields that identify one order line; a line with a delivered key is never sent again. Default: [order, item].',
            type: 'array',
            minItems: 1,
            items: salesField('delivery.key'),
          },
        },
        // lookback needs cursor, the date column the window is measured on.
        if: { not: { required: ['cursor'] } },
        then: {
          properties: { lookback: false },
          errorMessage: 'lookback needs cursor (the date column the window is measured on)',
          'x-checked': true,
        },
      },
      rejects: { $ref: '#/definitions/rejects' },
      personalData: { $ref: '#/definitions/personalData' },
    },
    allOf: FIELD_ORDER_HAS_MAPPED_FIELDS,
  },
};
