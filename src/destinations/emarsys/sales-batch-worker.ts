/** A worker thread that formats batches of an Emarsys export (see sales-batch.ts and batch-workers.ts). */
import { serveBatches } from '../../pipeline/batch-workers.ts';
import { SalesBatchFormatter, transferables, type SalesBatch, type SalesBatchConfig } from './sales-batch.ts';

serveBatches<SalesBatchConfig, SalesBatch>((config) => {
  const formatter = new SalesBatchFormatter(config);
  return (bytes, spare) => formatter.format(bytes, spare);
}, transferables);
