/**
 * Domo to Emarsys sales data (Smart Insight / Predict), exactly once: the module the registry lists.
 * Emarsys never deduplicates sales data, so the job keeps a ledger of every delivered line's key and
 * holds itself when an upload's outcome is unknown (docs/vendors/emarsys-sales.md).
 */
import type { DestinationModule } from '../../jobs/destination.ts';
import { baselineSales } from './baseline.ts';
import { mappedSalesFields, SALES_CHECKS } from './checks.ts';
import { salesColumns } from './columns.ts';
import { fieldOrder, PERSONAL_FIELDS } from './fields.ts';
import { heldSales } from './held.ts';
import { hasDeliveries } from './ledger.ts';
import { renderSalesReport, type SalesReport } from './report.ts';
import { SALES_REPORT_SCHEMA } from './report-schema.ts';
import { SALES_SCHEMA } from './schema.ts';
import { openSales, releaseSales, salesSupersedes } from './session.ts';
import type { EmarsysSalesDefinition } from './spec.ts';
import { salesState, type SalesState } from './state.ts';

export const emarsysSales: DestinationModule<EmarsysSalesDefinition, SalesState, SalesReport> = {
  kind: 'EmarsysSalesWriteback',
  delivers: 'sales data to Emarsys Smart Insight',
  schema: SALES_SCHEMA,
  reportSchema: SALES_REPORT_SCHEMA,
  checks: SALES_CHECKS,
  credentialPaths: [['destination', 'emarsysSales', 'token']],
  unit: { one: 'line', many: 'lines' },
  personalFields: PERSONAL_FIELDS,
  skippedLabels: { alreadyDelivered: 'already delivered', beforeWindow: 'older than the lookback window', duplicateInExport: 'repeated in the export' },
  formatsInWorkers: true,
  mappedFields: (spec) => (typeof spec.mapping === 'object' && spec.mapping !== null ? mappedSalesFields(spec.mapping as Record<string, unknown>) : []),
  columns: (definition) => salesColumns(definition.spec),
  notes(definition) {
    // Emarsys reads a file's columns in the order agreed at onboarding and fails the load of any other
    // after answering 200 (docs/vendors/emarsys-sales.md): a definition without fieldOrder hears its default.
    if (definition.spec.fieldOrder) return [];
    const order = fieldOrder(definition.spec);
    return [{ path: ['spec', 'mapping'], onKey: true, message: `spec.fieldOrder is not set, so files are sent as ${order.join(',')} (Emarsys's documented order); the columns must be in the order agreed with Emarsys at onboarding, or Emarsys fails the load after accepting the file: write that order as spec.fieldOrder` }];
  },
  readState: salesState,
  open: openSales,
  hold: { held: heldSales, release: releaseSales },
  hasDeliveries,
  baseline: baselineSales,
  supersedes: salesSupersedes,
  renderReport: renderSalesReport,
};
