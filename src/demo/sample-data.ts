/** Realistic, reproducible web-shop order lines for the demo, the tests and the bench. */

export const SALES_COLUMNS = [
  { name: 'order_id', type: 'STRING' },
  { name: 'ordered_at', type: 'DATETIME' },
  { name: 'customer_id', type: 'STRING' },
  { name: 'sku', type: 'STRING' },
  { name: 'line_total', type: 'DECIMAL' },
  { name: 'qty', type: 'LONG' },
  { name: 'channel', type: 'STRING' },
  { name: 'discount_amount', type: 'DECIMAL' },
];

/** Small deterministic PRNG (mulberry32), so every demo run and test sees the same data. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHANNELS = ['web', 'app', 'store, Berlin', 'marketplace "Zalando"'];
const domoTime = (ms: number) => new Date(ms).toISOString().slice(0, 19);

export interface SalesOptions {
  lines: number;
  /** First order number. */
  firstOrder?: number;
  /** Orders spread evenly from `from` to `to` (ms). */
  from: number;
  to: number;
  seed?: number;
}

/**
 * Order lines as Domo exports them (DATETIME without zone, numbers as text). Where there is no discount,
 * some lines hold Domo's null (written \N in an export) and others an empty text, as real DataSets mix them.
 */
export function salesRows(options: SalesOptions): (string | null)[][] {
  const rand = random(options.seed ?? 42);
  const rows: (string | null)[][] = [];
  let order = options.firstOrder ?? 100000;
  while (rows.length < options.lines) {
    const items = 1 + Math.floor(rand() * 4);
    const at = options.from + ((options.to - options.from) * rows.length) / options.lines;
    const customer = `C${String(1 + Math.floor(rand() * 5000)).padStart(5, '0')}`;
    const channel = CHANNELS[Math.floor(rand() * CHANNELS.length)]!;
    const firstSku = Math.floor(rand() * 800);
    for (let i = 0; i < items && rows.length < options.lines; i++) {
      const sku = `SKU-${String(1 + ((firstSku + i * 7) % 800)).padStart(4, '0')}`; // distinct within an order
      const qty = 1 + Math.floor(rand() * 3);
      const unit = 5 + Math.floor(rand() * 9500) / 100;
      const discount = rand() < 0.2 ? (Math.floor(rand() * 500) / 100).toFixed(2) : order % 3 === 0 ? null : '';
      rows.push([`WS-${order}`, domoTime(at), customer, sku, (unit * qty).toFixed(2), String(qty), channel, discount]);
    }
    order++;
  }
  return rows;
}

/** Rows that must be rejected, one per kind of mistake, for demos and tests. */
export function badSalesRows(at: number): (string | null)[][] {
  const t = domoTime(at);
  return [
    ['WS-BAD-1', t, 'C00001', '', '10.00', '1', 'web', ''], // missing item
    ['WS-BAD-2', t, 'C00002', 'SKU-0001', '1,234.50', '1', 'web', ''], // thousands separator
    ['WS-BAD-3', t, 'C00003', 'SKU-0002', '10.00', '1', 'web\nstore', ''], // line break
    ['WS-BAD-4', '2026-13-01T00:00:00', 'C00004', 'SKU-0003', '10.00', '1', 'web', ''], // impossible date
  ];
}
