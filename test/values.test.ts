import { describe, expect, it } from 'vitest';
import { isDue } from '../src/reconcile/due.ts';
import { count } from '../src/reports/count.ts';
import { formatInteger, formatNumber, formatTimestamp, Invalid } from '../src/pipeline/values.ts';

describe('value formatting for Emarsys', () => {
  it.each([
    ['2026-02-28', '2026-02-28T00:00:00Z'],
    ['2026-02-28T23:59:59', '2026-02-28T23:59:59Z'],
    ['2026-02-28 23:59:59.123', '2026-02-28T23:59:59Z'],
    ['2026-03-01T01:30:00+02:00', '2026-02-28T23:30:00Z'],
    ['2026-02-28T22:00:00-0130', '2026-02-28T23:30:00Z'],
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00Z'],
  ])('timestamp %s -> %s', (input, expected) => expect(formatTimestamp(input)).toBe(expected));

  it.each(['2026-02-29', '2026-13-01', '28.02.2026', '2026-02-28T24:00:00', ''])('rejects timestamp %j', (input) => {
    expect(formatTimestamp(input)).toBeInstanceOf(Invalid);
  });

  it.each([
    ['110.30', '110.30'],
    ['-5', '-5'],
    ['+3', '3'],
    ['.5', '0.5'],
    ['1e2', '100'],
    ['5.', '5'],
    [' 7 ', '7'],
    // What these became before exponent notation was written out, they still become (a key may be made of them).
    ['+1.50', '1.5'],
    ['1.2345678E7', '12345678'],
    ['12.5e1', '125'],
    // Written out digit for digit where String(Number()) has an exponent: Java's small doubles and BigDecimals, 1e21 and up.
    ['5.551115123125783E-17', '0.00000000000000005551115123125783'],
    ['1.0E-7', '0.00000010'],
    ['-2.50E-8', '-0.0000000250'],
    ['1.5e21', '1500000000000000000000'],
  ])('number %s -> %s', (input, expected) => expect(formatNumber(input)).toBe(expected));

  it.each(['1,234.50', '1.234,50', '€10', '10 EUR', 'NaN', '1e400', '', ' ', '\t', '.', 'e5', '1e', '1e-150', '1.5.2', 'Infinity', '0x1A'])('rejects number %j with advice', (input) => {
    const out = formatNumber(input);
    expect(out).toBeInstanceOf(Invalid);
    expect((out as Invalid).reason).toContain('no thousands separator');
  });

  it('integers must be whole', () => {
    expect(formatInteger('4')).toBe('4');
    expect((formatInteger('4.5') as Invalid).reason).toContain('not a whole number');
  });
});

describe('due logic (UTC cron against the last run)', () => {
  const at = (iso: string) => new Date(iso);
  it('a job without schedule is always due; a first run is always due', () => {
    expect(isDue(undefined, '2026-11-22T05:17:00Z', at('2026-11-22T05:18:00Z')).due).toBe(true);
    expect(isDue('17 5 * * *', undefined, at('2026-11-22T00:00:00Z')).due).toBe(true);
  });
  it('not due again until the next tick', () => {
    const d = isDue('17 5 * * *', '2026-11-22T05:17:30Z', at('2026-11-22T23:59:00Z'));
    expect(d).toEqual({ due: false, next: at('2026-11-23T05:17:00Z') });
  });
  it('missed ticks are caught up once', () => {
    const d = isDue('*/30 * * * *', '2026-11-20T10:00:00Z', at('2026-11-22T10:10:00Z'));
    expect(d).toEqual({ due: true, next: at('2026-11-22T10:30:00Z') });
  });
  it('month ends and leap days', () => {
    expect(isDue('0 0 31 * *', '2026-01-31T00:00:00Z', at('2026-02-28T00:00:00Z')).next).toEqual(at('2026-03-31T00:00:00Z'));
    expect(isDue('0 12 29 2 *', '2024-02-29T12:00:00Z', at('2025-01-01T00:00:00Z')).next).toEqual(at('2028-02-29T12:00:00Z'));
  });
  it('day-of-month and day-of-week together mean either (Vixie cron)', () => {
    // The 1st of the month or any Monday; 2026-11-23 is a Monday.
    expect(isDue('0 6 1 * MON', '2026-11-22T07:00:00Z', at('2026-11-22T08:00:00Z')).next).toEqual(at('2026-11-23T06:00:00Z'));
  });
});

describe('counts in messages and reports', () => {
  it('are written as en-US writes them, without loading ICU', () => {
    for (const value of [0, 7, 999, 1000, 6004, 99_999, 100_000, 1_234_567, 5_000_000_000, -1000]) expect(count(value)).toBe(value.toLocaleString('en-US'));
  });
});
