import { describe, expect, it } from 'vitest';
import type { EmarsysSalesSpec } from '../../../src/destinations/emarsys/spec.ts';
import { EMARSYS_FORMER_DEFAULT_ORDER } from '../../../src/destinations/emarsys/spec.ts';
import type { SalesState } from '../../../src/destinations/emarsys/state.ts';
import { fieldOrder, formatText, resolveFieldOrder, salesFields, type SalesField } from '../../../src/destinations/emarsys/fields.ts';
import { Invalid } from '../../../src/pipeline/values.ts';

type Mapping = EmarsysSalesSpec['mapping'];
const MAPPING: Mapping = { order: 'order_id', timestamp: 'ordered_at', customer: 'customer_id', item: 'sku', price: 'line_total', quantity: 'qty' };

/** Only mapping, fieldOrder and personalData matter here; the rest is checked by the schema. */
const spec = (extra: Partial<Pick<EmarsysSalesSpec, 'fieldOrder' | 'personalData'>> & { mapping?: Partial<Mapping> } = {}): EmarsysSalesSpec => {
  const { mapping, ...rest } = extra;
  return { mapping: { ...MAPPING, ...mapping }, ...rest } as unknown as EmarsysSalesSpec;
};

const state = (fileHeader?: string[]): SalesState => ({ version: 1, name: 'sales', kind: 'EmarsysSalesWriteback', segments: [], ...(fileHeader ? { fileHeader } : {}) });

const DOCUMENTED = ['item', 'price', 'order', 'timestamp', 'customer', 'quantity'];
const FORMER = ['order', 'timestamp', 'customer', 'item', 'price', 'quantity'];

describe('fieldOrder: the columns of a file', () => {
  it("defaults to Emarsys's documented order of the standard fields, then custom fields as written", () => {
    expect(fieldOrder(spec({ mapping: { custom: { s_channel: 'channel', f_discount: 'discount', i_units: 'units' } } }))).toEqual([
      ...DOCUMENTED,
      's_channel',
      'f_discount',
      'i_units',
    ]);
  });

  it('puts email where customer would be when the buyer is identified by email', () => {
    const { customer: _, ...byEmail } = MAPPING;
    expect(fieldOrder({ mapping: { ...byEmail, email: 'mail' } } as unknown as EmarsysSalesSpec)).toEqual(['item', 'price', 'order', 'timestamp', 'email', 'quantity']);
  });

  it('spec.fieldOrder (the order agreed at onboarding) is used exactly as written', () => {
    const agreed = ['order', 'customer', 'timestamp', 'quantity', 'price', 'item'];
    expect(fieldOrder(spec({ fieldOrder: agreed }))).toEqual(agreed);
  });

  it('the former default order is available for jobs that delivered with it', () => {
    expect(fieldOrder(spec({ mapping: { custom: { s_channel: 'channel' } } }), EMARSYS_FORMER_DEFAULT_ORDER)).toEqual([...FORMER, 's_channel']);
  });
});

describe('resolveFieldOrder: a job that delivered keeps its columns', () => {
  it('a new job sends the documented order, without a warning', () => {
    expect(resolveFieldOrder(spec(), state(), false)).toEqual({ order: DOCUMENTED });
  });

  it('a job that delivered before its header was recorded keeps the former default order', () => {
    // Emarsys fails the load of a file whose columns moved, after answering 200: nobody would notice.
    expect(resolveFieldOrder(spec({ mapping: { custom: { s_channel: 'channel' } } }), state(), true)).toEqual({ order: [...FORMER, 's_channel'] });
  });

  it('keeps the recorded header, even one no default produces (a fieldOrder since removed)', () => {
    const header = ['customer', 'order', 'timestamp', 'item', 'quantity', 'price'];
    expect(resolveFieldOrder(spec(), state(header), true)).toEqual({ order: header });
    // The header alone counts, as after a baseline that recorded it without a delivery.
    expect(resolveFieldOrder(spec(), state(header), false)).toEqual({ order: header });
  });

  it('spec.fieldOrder equal to the recorded header: no warning', () => {
    expect(resolveFieldOrder(spec({ fieldOrder: FORMER }), state(FORMER), true)).toEqual({ order: FORMER, warning: undefined });
  });

  it('spec.fieldOrder on a job that never delivered: no warning', () => {
    expect(resolveFieldOrder(spec({ fieldOrder: FORMER }), state(), false)).toEqual({ order: FORMER, warning: undefined });
  });

  it('spec.fieldOrder that reorders delivered columns wins, and says so', () => {
    const r = resolveFieldOrder(spec({ fieldOrder: DOCUMENTED }), state(FORMER), true);
    expect(r.order).toEqual(DOCUMENTED);
    expect(r.warning).toBe(
      "the file's columns change from order,timestamp,customer,item,price,quantity to item,price,order,timestamp,customer,quantity: " +
        'Emarsys fails the load of files whose columns are not in the order agreed at onboarding (after answering 200), so change it only together with Emarsys',
    );
  });

  it('the warning also compares against the former default when no header was recorded', () => {
    const r = resolveFieldOrder(spec({ fieldOrder: DOCUMENTED }), state(), true);
    expect(r.warning).toContain(`from ${FORMER.join(',')} to ${DOCUMENTED.join(',')}:`);
  });

  it('a delivered job that gains a field keeps its columns in place, adds the new one last, and is warned', () => {
    const r = resolveFieldOrder({ ...spec(), mapping: { ...MAPPING, custom: { s_region: 'region' } } } as EmarsysSalesSpec, state(FORMER), true);
    expect(r.order).toEqual([...FORMER, 's_region']);
    expect(r.warning).toBe(
      `the file's columns change from ${FORMER.join(',')} to ${[...FORMER, 's_region'].join(',')} because the mapping changed: ` +
        'Emarsys fails the load of files whose columns are not the ones agreed at onboarding (after answering 200), so agree the new columns with Emarsys and write their order as spec.fieldOrder',
    );
  });

  it('a delivered job that loses a field keeps the others in place, and is warned', () => {
    const header = [...FORMER, 's_region'];
    const r = resolveFieldOrder(spec(), state(header), true);
    expect(r.order).toEqual(FORMER);
    expect(r.warning).toContain(`from ${header.join(',')} to ${FORMER.join(',')} because the mapping changed`);
  });
});

describe('salesFields: what each column carries', () => {
  const byName = (fields: SalesField[]) => Object.fromEntries(fields.map((f) => [f.name, f]));
  const all = spec({ mapping: { custom: { s_channel: 'channel', i_units: 'units', f_discount: 'discount', t_shipped: 'shipped_at' } } });

  it('lists the fields in file order with their columns; standard fields are required, custom ones optional', () => {
    expect(salesFields(all).map((f) => [f.name, f.column, f.required])).toEqual([
      ['item', 'sku', true],
      ['price', 'line_total', true],
      ['order', 'order_id', true],
      ['timestamp', 'ordered_at', true],
      ['customer', 'customer_id', true],
      ['quantity', 'qty', true],
      ['s_channel', 'channel', false],
      ['i_units', 'units', false],
      ['f_discount', 'discount', false],
      ['t_shipped', 'shipped_at', false],
    ]);
  });

  it('follows spec.fieldOrder', () => {
    const agreed = ['order', 'timestamp', 'customer', 'item', 'price', 'quantity'];
    expect(salesFields(spec({ fieldOrder: agreed })).map((f) => f.name)).toEqual(agreed);
  });

  it.each([
    // [field, value, what Emarsys receives]
    ['order', 'O-1', 'O-1'],
    ['customer', 'C 17', 'C 17'],
    ['item', 'SKU "3", red', 'SKU "3", red'],
    ['timestamp', '2026-03-01', '2026-03-01T00:00:00Z'],
    ['timestamp', '2026-03-01T01:30:00+02:00', '2026-02-28T23:30:00Z'],
    ['price', '110.30', '110.30'],
    ['price', '-5', '-5'],
    ['quantity', '1e2', '100'],
    ['s_channel', 'store, Berlin', 'store, Berlin'],
    ['i_units', '4', '4'],
    ['f_discount', '.5', '0.5'],
    ['t_shipped', '2026-03-02 08:00:00', '2026-03-02T08:00:00Z'],
  ])('%s %j -> %j', (name, value, expected) => {
    expect(byName(salesFields(all))[name]!.format(value)).toBe(expected);
  });

  it.each([
    ['i_units', '4.5', 'is not a whole number'],
    ['f_discount', '1,5', 'is not a number'],
    ['price', '€10', 'is not a number'],
    ['t_shipped', '02.03.2026', 'is not a date or time'],
    ['timestamp', '2026-02-29', 'is not a real date or time'],
    ['order', 'O-1\nO-2', 'contains a line break'],
  ])('%s %j is rejected: %s', (name, value, expected) => {
    const out = byName(salesFields(all))[name]!.format(value);
    expect(out).toBeInstanceOf(Invalid);
    expect((out as Invalid).reason).toContain(expected);
  });

  it('an email column must hold an email address, trimmed', () => {
    const { customer: _, ...byEmail } = MAPPING;
    const email = byName(salesFields({ mapping: { ...byEmail, email: 'mail' } } as unknown as EmarsysSalesSpec)).email!;
    expect(email.format(' jane@example.com ')).toBe('jane@example.com');
    expect(email.format('jane@example')).toBeInstanceOf(Invalid);
    expect(email.quotable).toBe(true);
  });

  it('only text fields are quotable: numbers and timestamps never hold a comma or a quote', () => {
    expect(salesFields(all).filter((f) => f.quotable).map((f) => f.name)).toEqual(['item', 'order', 'customer', 's_channel']);
  });

  it('customer ids are personal by default, and personalData.fields adds more (any case)', () => {
    const personal = (s: EmarsysSalesSpec) => salesFields(s).filter((f) => f.personal).map((f) => f.name);
    expect(personal(all)).toEqual(['customer']);
    expect(personal(spec({ mapping: all.mapping, personalData: { fields: ['S_Channel'] } }))).toEqual(['customer', 's_channel']);
  });

  it('personalData.mask: false shows every value unmasked, even customer ids', () => {
    expect(salesFields(spec({ personalData: { mask: false } })).some((f) => f.personal)).toBe(false);
  });
});

describe('formatText', () => {
  it.each(['a\nb', 'a\r\nb', 'a\rb', 'trailing\n'])('rejects %j: Emarsys files cannot carry a line break, even quoted', (text) => {
    const out = formatText(text);
    expect(out).toBeInstanceOf(Invalid);
    expect((out as Invalid).reason).toBe('contains a line break, which Emarsys files cannot carry');
  });

  it('keeps commas, quotes and spaces (quoting is the file writer\'s job)', () => {
    expect(formatText(' "Zoë", Ærø ')).toBe(' "Zoë", Ærø ');
  });

  it('rejects text that was not UTF-8 in the export', () => {
    expect((formatText('M\uFFFDller') as Invalid).reason).toContain('is not valid UTF-8');
  });
});
