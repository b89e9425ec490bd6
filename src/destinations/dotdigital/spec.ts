/** A DotdigitalContactsWriteback definition, as TypeScript sees it after schema validation (schema.ts). */
import type { BaseSpec, Envelope, StringOrSecret } from '../../definitions/types.ts';

export type DotdigitalFieldType = 'String' | 'Numeric' | 'Date' | 'Boolean';
export type DotdigitalDataField = string | { column: string; type?: DotdigitalFieldType; create?: boolean };

export interface DotdigitalContactsSpec extends BaseSpec {
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
}

export type DotdigitalContactsDefinition = Envelope<'DotdigitalContactsWriteback', DotdigitalContactsSpec>;
