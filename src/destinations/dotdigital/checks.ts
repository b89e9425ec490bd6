/**
 * Meaning checks of a DotdigitalContactsWriteback (run after the shared ones): what JSON Schema cannot express
 * (the operator's hosts), and precise messages for the rules schema.ts marks x-checked.
 */
import { get, isRecord, type Check } from '../../definitions/check.ts';
import { HOSTS_RULE, isAllowedDotdigitalHost, isOperatorHost } from './hosts.ts';

/** The characters of a data field's name (the schema's propertyNames pattern adds the length). */
export const DOTDIGITAL_FIELD_NAME_PATTERN = '^[A-Za-z0-9_-]+$';
const DOTDIGITAL_FIELD_NAME = new RegExp(DOTDIGITAL_FIELD_NAME_PATTERN);
export const DOTDIGITAL_RESERVED = ['email', 'id', 'contactid', 'notes', 'unsubscribed'];

const dotdigitalFieldNames: Check = ({ value, report }) => {
  const fields = get(value, 'spec', 'mapping', 'dataFields');
  if (!isRecord(fields)) return;
  for (const name of Object.keys(fields)) {
    const path = ['spec', 'mapping', 'dataFields', name];
    const where = `spec.mapping.dataFields.${name}`;
    if (name.length > 20) report(path, `${where}: Dotdigital data field names have at most 20 characters (this one has ${name.length})`, true);
    if (!DOTDIGITAL_FIELD_NAME.test(name)) report(path, `${where}: Dotdigital data field names use only letters, digits, - and _`, true);
    if (DOTDIGITAL_RESERVED.includes(name.toLowerCase())) {
      report(path, `${where}: "${name}" is reserved by Dotdigital (${DOTDIGITAL_RESERVED.join(', ')}); the contact's email is spec.mapping.email`, true);
    }
  }
};

const dotdigitalEndpoint: Check = ({ value, report, env }) => {
  const endpoint = get(value, 'spec', 'destination', 'dotdigital', 'endpoint');
  if (typeof endpoint !== 'string') return;
  const path = ['spec', 'destination', 'dotdigital', 'endpoint'];
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    report(path, `spec.destination.dotdigital.endpoint: "${endpoint}" is not a URL; write it as https://r1-api.dotdigital.com`);
    return;
  }
  if (url.protocol !== 'https:' && !isOperatorHost(url, env)) {
    report(path, `spec.destination.dotdigital.endpoint: must use https (credentials travel with every call), not ${url.protocol.replace(':', '')}`);
  } else if (!isAllowedDotdigitalHost(url, env)) {
    report(path, `spec.destination.dotdigital.endpoint: ${url.host} is not one of ${HOSTS_RULE}; credentials are never sent to other hosts`);
  }
};

/** changedOnly forgets (in contacts.bin) the contacts an export no longer has: it must read every one, from the export. */
const changedOnlyReadsTheExport: Check = ({ value, report }) => {
  if (get(value, 'spec', 'delivery', 'changedOnly') !== true || get(value, 'spec', 'source', 'domo', 'read') !== 'query') return;
  report(
    ['spec', 'source', 'domo', 'read'],
    'spec.source.domo.read: query cannot be used with spec.delivery.changedOnly, which reads every contact from the export (to notice those no longer in the DataSet, and beyond the million rows a query answer holds): set read: export or auto, or remove it',
  );
};

export const CONTACTS_CHECKS: Check[] = [dotdigitalFieldNames, dotdigitalEndpoint, changedOnlyReadsTheExport];
