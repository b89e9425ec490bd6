/** Parses `lookback` durations such as `3d`, `12h`, `90m`, `1d12h` into milliseconds. */

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const WHOLE = /^(?:[0-9]+[smhd])+$/;
/** What parseDuration accepts, as a JSON Schema pattern (the definition schema's `lookback`). */
export const DURATION_PATTERN = WHOLE.source;
const PART = /(\d+)([smhd])/g;

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNIT_MS[unit!]!;
  return total;
}
