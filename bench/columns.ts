/** The benchmark's mapping: Domo column -> Emarsys field, in the file's field order. */
export const BENCH_COLUMNS: [string, string][] = [
  ['order_id', 'order'],
  ['ordered_at', 'timestamp'],
  ['customer_id', 'customer'],
  ['sku', 'item'],
  ['line_total', 'price'],
  ['qty', 'quantity'],
  ['channel', 's_channel'],
  ['discount_amount', 'f_discount'],
];
