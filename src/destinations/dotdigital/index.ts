/**
 * Domo to Dotdigital contacts: the module the registry lists. Contacts are imported into an address book
 * with data fields created on demand; only changed contacts are sent with delivery.changedOnly, and
 * contacts Dotdigital refuses for a lasting reason are not sent again while unchanged (docs/vendors/dotdigital.md).
 */
import { isRecord } from '../../definitions/check.ts';
import type { DestinationModule } from '../../jobs/destination.ts';
import { CONTACTS_CHECKS } from './checks.ts';
import { contactColumns } from './columns.ts';
import { PERSONAL_FIELDS } from './fields.ts';
import { CONTACTS_REPORT_SCHEMA } from './report-schema.ts';
import { CONTACTS_SCHEMA } from './schema.ts';
import { openContacts } from './session.ts';
import type { DotdigitalContactsDefinition } from './spec.ts';
import type { ContactsReport } from './report.ts';
import type { JobState } from '../../state/job-state.ts';

export const dotdigitalContacts: DestinationModule<DotdigitalContactsDefinition, JobState, ContactsReport> = {
  kind: 'DotdigitalContactsWriteback',
  delivers: 'contacts to Dotdigital',
  schema: CONTACTS_SCHEMA,
  reportSchema: CONTACTS_REPORT_SCHEMA,
  checks: CONTACTS_CHECKS,
  credentialPaths: [['destination', 'dotdigital', 'password']],
  unit: { one: 'contact', many: 'contacts' },
  personalFields: PERSONAL_FIELDS,
  skippedLabels: { unchanged: 'unchanged since their last import', duplicateInExport: 'repeated in the export' },
  mappedFields: (spec) => {
    const mapping = isRecord(spec.mapping) ? spec.mapping : {};
    return ['email', ...(isRecord(mapping.dataFields) ? Object.keys(mapping.dataFields) : [])];
  },
  columns: contactColumns,
  formatsInWorkers: true,
  // Imports are upserts by email: a state lost in a rename costs a re-import, never a duplicate.
  hasDeliveries: () => false,
  open: openContacts,
};
