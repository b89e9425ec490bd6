/** An EmarsysSalesWriteback definition, as TypeScript sees it after schema validation (schema.ts). */
import type { BaseSpec, Envelope, StringOrSecret } from '../../definitions/types.ts';

export interface EmarsysSalesSpec extends BaseSpec {
  destination: { emarsysSales: { merchantId: StringOrSecret; token: StringOrSecret } };
  mapping: {
    order: string;
    timestamp: string;
    customer?: string;
    email?: string;
    item: string;
    price: string;
    quantity: string;
    custom?: Record<string, string>;
  };
  fieldOrder?: string[];
  delivery?: { cursor?: string; lookback?: string; key?: string[] };
}

export type EmarsysSalesDefinition = Envelope<'EmarsysSalesWriteback', EmarsysSalesSpec>;

/**
 * Emarsys standard sales fields, in the order Emarsys documents them ("Uploading sales data",
 * documentation.emarsys.com; docs/vendors/emarsys-sales.md): the columns of a file when fieldOrder is not set.
 */
export const EMARSYS_STANDARD_FIELDS = ['item', 'price', 'order', 'timestamp', 'customer', 'email', 'quantity'] as const;
/** The order Writeback used before it followed Emarsys's documentation: jobs that delivered with it keep it. */
export const EMARSYS_FORMER_DEFAULT_ORDER = ['order', 'timestamp', 'customer', 'email', 'item', 'price', 'quantity'] as const;
