import { describe, expect, it } from 'vitest';
import type { DotdigitalContactsSpec, DotdigitalDataField } from '../../../src/destinations/dotdigital/spec.ts';
import type { DataField } from '../../../src/destinations/dotdigital/client.ts';
import { formatFieldValue, mappedFields, resolveFields } from '../../../src/destinations/dotdigital/fields.ts';
import { Invalid } from '../../../src/pipeline/values.ts';

/** Only spec.mapping matters here; the rest of a definition is checked by its schema. */
const spec = (dataFields?: Record<string, DotdigitalDataField>): DotdigitalContactsSpec =>
  ({ mapping: { email: 'email', ...(dataFields ? { dataFields } : {}) } }) as unknown as DotdigitalContactsSpec;

/** What GET /v2/data-fields answers for an account. */
const account: DataField[] = [
  { name: 'FIRSTNAME', type: 'String', visibility: 'Public' },
  { name: 'LastSeen', type: 'Date', visibility: 'Private' },
  { name: 'POINTS', type: 'Numeric', visibility: 'Private' },
];

const reason = (out: string | Invalid) => (out instanceof Invalid ? out.reason : `not Invalid: ${out}`);

describe('mappedFields', () => {
  it('reads the short form (a column) and the long form ({ column, type, create }) in the order written', () => {
    expect(
      mappedFields(
        spec({
          FIRSTNAME: 'first_name',
          TIER: { column: 'tier', type: 'String', create: true },
          POINTS: { column: 'points', type: 'Numeric' },
          JOINED: { column: 'joined' },
        }),
      ),
    ).toEqual([
      { name: 'FIRSTNAME', column: 'first_name', create: false },
      { name: 'TIER', column: 'tier', declared: 'String', create: true },
      // Without create: true a missing field is an error, never created behind the user's back.
      { name: 'POINTS', column: 'points', declared: 'Numeric', create: false },
      { name: 'JOINED', column: 'joined', declared: undefined, create: false },
    ]);
  });

  it('a job that maps only the email has no data fields', () => {
    expect(mappedFields(spec())).toEqual([]);
  });
});

describe('resolveFields', () => {
  it('matches existing fields regardless of case, using the name and type Dotdigital has', () => {
    // The import file's header must name the field as Dotdigital spells it, and values follow its type.
    const r = resolveFields(spec({ FirstName: 'first_name', LASTSEEN: 'last_seen' }), account);
    expect(r).toEqual({
      fields: [
        { name: 'FIRSTNAME', column: 'first_name', create: false, type: 'String' },
        { name: 'LastSeen', column: 'last_seen', create: false, type: 'Date' },
      ],
      toCreate: [],
      problems: [],
    });
  });

  it('creates a missing field with create: true, as String when no type is declared', () => {
    const r = resolveFields(spec({ TIER: { column: 'tier', create: true }, VIP: { column: 'vip', type: 'Boolean', create: true } }), account);
    expect(r.toCreate).toEqual([
      { name: 'TIER', type: 'String' },
      { name: 'VIP', type: 'Boolean' },
    ]);
    expect(r.fields.map((f) => [f.name, f.type])).toEqual([
      ['TIER', 'String'],
      ['VIP', 'Boolean'],
    ]);
    expect(r.problems).toEqual([]);
  });

  it('does not create a field that already exists (Dotdigital answers ERROR_NON_UNIQUE_DATAFIELD)', () => {
    const r = resolveFields(spec({ points: { column: 'points', type: 'Numeric', create: true } }), account);
    expect(r.toCreate).toEqual([]);
    expect(r.fields).toEqual([{ name: 'POINTS', column: 'points', declared: 'Numeric', create: true, type: 'Numeric' }]);
  });

  it('a missing field without create: true is a problem that says both ways out', () => {
    const r = resolveFields(spec({ TIER: 'tier' }), account);
    expect(r.fields).toEqual([]);
    expect(r.toCreate).toEqual([]);
    expect(r.problems).toEqual([
      'data field TIER does not exist in Dotdigital; create it there, or write { column: tier, type: String, create: true } in spec.mapping.dataFields',
    ]);
  });

  it('a declared type that differs from the field in Dotdigital is a problem, even with create: true', () => {
    // Sending "2026-03-01T00:00:00" into a Numeric field would have Dotdigital reject every contact.
    const r = resolveFields(spec({ POINTS: { column: 'points', type: 'Date', create: true } }), account);
    expect(r.fields).toEqual([]);
    expect(r.toCreate).toEqual([]);
    expect(r.problems).toEqual(['data field POINTS is Numeric in Dotdigital but the definition declares Date; change the definition or the field']);
  });

  it('reports every problem at once', () => {
    const r = resolveFields(spec({ FIRSTNAME: { column: 'first_name', type: 'Numeric' }, TIER: 'tier', POINTS: 'points' }), account);
    expect(r.fields.map((f) => f.name)).toEqual(['POINTS']);
    expect(r.problems).toHaveLength(2);
  });

  it('nothing to report when every field exists', () => {
    expect(resolveFields(spec({ FIRSTNAME: 'first_name' }), account).problems).toEqual([]);
  });

  // Dotdigital's v2 OpenAPI file lists a fifth type, NotAvailableInThisVersion: a field v2 cannot write.
  it('a field whose type is NotAvailableInThisVersion is a problem, not a field whose values become "undefined"', () => {
    const r = resolveFields(spec({ SCORE: 'score' }), [{ name: 'SCORE', type: 'NotAvailableInThisVersion', visibility: 'Private' } as DataField]);
    expect(r.fields).toEqual([]);
    expect(r.problems).toEqual(["data field SCORE has the type NotAvailableInThisVersion in Dotdigital, which its v2 API cannot write; map another field, or change this one's type in Dotdigital"]);
  });
});

describe('formatFieldValue', () => {
  it.each(['String', 'Numeric', 'Date', 'Boolean'] as const)('an empty %s cell stays empty (the merge option decides what it does)', (type) => {
    expect(formatFieldValue(type, '')).toBe('');
  });

  it.each(['Zoë, "the boss"', ' padded ', '東京', '=1+1'])('String values go as they are: %j', (text) => {
    expect(formatFieldValue('String', text)).toBe(text);
  });

  it.each([
    ['110.30', '110.30'],
    ['-5', '-5'],
    ['+3', '3'],
    ['1e2', '100'],
  ])('Numeric %s -> %s', (text, expected) => expect(formatFieldValue('Numeric', text)).toBe(expected));

  it('a Numeric value with a thousands separator is rejected with advice', () => {
    expect(reason(formatFieldValue('Numeric', '1,234.50'))).toContain('no thousands separator');
  });

  it.each([
    // Dotdigital dates are YYYY-MM-DDTHH:MM:SS, in UTC, without a zone or fractions.
    ['2026-03-01', '2026-03-01T00:00:00'],
    ['2026-03-01T10:15:30', '2026-03-01T10:15:30'],
    ['2026-03-01 10:15:30.987', '2026-03-01T10:15:30'],
    ['2026-03-01T10:15:30Z', '2026-03-01T10:15:30'],
    ['2026-03-01T01:30:00+02:00', '2026-02-28T23:30:00'],
    ['1000-01-01', '1000-01-01T00:00:00'],
    ['9999-12-31T23:59:59', '9999-12-31T23:59:59'],
  ])('Date %s -> %s', (text, expected) => expect(formatFieldValue('Date', text)).toBe(expected));

  it.each([
    ['0999-12-31', '"0999-12-31" needs a four-digit year'],
    // The offset moves the instant into year 999: the year Dotdigital would read is what counts.
    ['1000-01-01T00:30:00+01:00', '"1000-01-01T00:30:00+01:00" needs a four-digit year'],
  ])('Date %s is rejected: Dotdigital takes four-digit years only', (text, expected) => {
    expect(reason(formatFieldValue('Date', text))).toBe(expected);
  });

  it.each(['01/03/2026', '2026-02-29', 'yesterday'])('Date %j is not a date', (text) => {
    expect(formatFieldValue('Date', text)).toBeInstanceOf(Invalid);
  });

  it.each([
    ['true', 'true'],
    ['TRUE', 'true'],
    [' Yes ', 'true'],
    ['y', 'true'],
    ['1', 'true'],
    ['false', 'false'],
    ['No', 'false'],
    ['N', 'false'],
    ['0', 'false'],
  ])('Boolean %j -> %s', (text, expected) => expect(formatFieldValue('Boolean', text)).toBe(expected));

  it.each(['maybe', '2', 'on', 't', ' '])('Boolean %j is rejected, naming what is accepted', (text) => {
    expect(reason(formatFieldValue('Boolean', text))).toBe(`"${text}" is not true or false (accepted: true/false, yes/no, 1/0)`);
  });
});
