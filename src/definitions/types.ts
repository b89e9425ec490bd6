/** The definition format (DESIGN.md, "Definitions"), as TypeScript sees it after schema validation. */

export interface SecretRef {
  secret: string;
}
export type StringOrSecret = string | SecretRef;

export interface Metadata {
  name: string;
  description?: string;
  owner?: string;
  labels?: Record<string, string>;
}

export interface DomoSource {
  domo: { datasetId: string; clientId: StringOrSecret; clientSecret: StringOrSecret };
}

export interface Rejects {
  maxRatio?: number;
}

/** Which fields hold personal data (besides email and customer), and whether values are masked where shown. */
export interface PersonalData {
  fields?: string[];
  mask?: boolean;
}

export interface EmarsysSalesSpec {
  schedule?: string;
  suspend?: boolean;
  source: DomoSource;
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
  rejects?: Rejects;
  personalData?: PersonalData;
}

export type DotdigitalFieldType = 'String' | 'Numeric' | 'Date' | 'Boolean';
export type DotdigitalDataField = string | { column: string; type?: DotdigitalFieldType; create?: boolean };

export interface DotdigitalContactsSpec {
  schedule?: string;
  suspend?: boolean;
  source: DomoSource;
  destination: {
    dotdigital: {
      username: StringOrSecret;
      password: StringOrSecret;
      region?: 'r1' | 'r2' | 'r3';
      endpoint?: string;
      addressBookId?: number;
      mergeOption?: 'Overwrite' | 'OnlyOverwriteIfNotEmpty' | 'OnlyOverwriteIfContactDataNotPopulated';
    };
  };
  mapping: { email: string; dataFields?: Record<string, DotdigitalDataField> };
  delivery?: { changedOnly?: boolean };
  rejects?: Rejects;
  personalData?: PersonalData;
}

interface Envelope<K extends string, S> {
  apiVersion: 'writeback/v1';
  kind: K;
  metadata: Metadata;
  spec: S;
}

export type EmarsysSalesDefinition = Envelope<'EmarsysSalesWriteback', EmarsysSalesSpec>;
export type DotdigitalContactsDefinition = Envelope<'DotdigitalContactsWriteback', DotdigitalContactsSpec>;
export type Definition = EmarsysSalesDefinition | DotdigitalContactsDefinition;

/**
 * Emarsys standard sales fields, in the order Emarsys documents them ("Uploading sales data",
 * documentation.emarsys.com; docs/vendors/emarsys-sales.md): the columns of a file when fieldOrder is not set.
 */
export const EMARSYS_STANDARD_FIELDS = ['item', 'price', 'order', 'timestamp', 'customer', 'email', 'quantity'] as const;
/** The order Writeback used before it followed Emarsys's documentation: jobs that delivered with it keep it. */
export const EMARSYS_FORMER_DEFAULT_ORDER = ['order', 'timestamp', 'customer', 'email', 'item', 'price', 'quantity'] as const;

/** A definition loaded from disk, with the file it came from. */
export interface LoadedDefinition {
  /** As shown in messages (relative to the repository root). */
  file: string;
  /** Absolute path. */
  path: string;
  definition: Definition;
  /** The parsed file, for positions in messages about it. */
  source?: { locate(path: readonly (string | number)[], key?: boolean): { line: number; column: number } };
}
