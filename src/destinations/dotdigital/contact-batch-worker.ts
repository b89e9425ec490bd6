/** A worker thread that formats batches of a Dotdigital contacts export (see contact-batch.ts and batch-workers.ts). */
import { serveBatches } from '../../pipeline/batch-workers.ts';
import { ContactBatchFormatter, transferables, type ContactBatch, type ContactBatchConfig } from './contact-batch.ts';

serveBatches<ContactBatchConfig, ContactBatch>((config) => {
  const formatter = new ContactBatchFormatter(config);
  return (bytes, spare) => formatter.format(bytes, spare);
}, transferables);
