/**
 * The definition format (README, "Adding a connector"; schemas/writeback.schema.json), as TypeScript sees it after schema validation: the
 * envelope every kind shares. Each destination module declares its own spec on top of BaseSpec; the union
 * of every kind's definition is the registry's `Definition`.
 */

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
  domo: { datasetId: string; clientId: StringOrSecret; clientSecret: StringOrSecret; read?: 'auto' | 'query' | 'export' };
}

export interface Rejects {
  maxRatio?: number;
}

/** Which fields hold personal data (besides the destination's own), and whether values are masked where shown. */
export interface PersonalData {
  fields?: string[];
  mask?: boolean;
}

/** What every kind's spec has: when it runs, what it reads, how many bad rows it tolerates. */
export interface BaseSpec {
  schedule?: string;
  suspend?: boolean;
  source: DomoSource;
  rejects?: Rejects;
  personalData?: PersonalData;
}

export interface Envelope<K extends string, S extends BaseSpec> {
  apiVersion: 'writeback/v1';
  kind: K;
  metadata: Metadata;
  spec: S;
}

/** Any definition: the envelope with some kind, and a spec with the parts every kind has. */
export type AnyDefinition = Envelope<string, BaseSpec>;

/** A definition loaded from disk, with the file it came from. */
export interface LoadedDefinition<D = Envelope<string, BaseSpec>> {
  /** As shown in messages (relative to the repository root). */
  file: string;
  /** Absolute path. */
  path: string;
  definition: D;
  /** The parsed file, for positions in messages about it. */
  source?: { locate(path: readonly (string | number)[], key?: boolean): { line: number; column: number } };
}
