/** Reports for a held job: what is unknown, what to compare in Emarsys, and the command that releases it. */
import { count } from '../../reports/count.ts';
import type { SalesState } from './state.ts';

/**
 * What a person checks, in the Emarsys screens of today (docs/vendors/emarsys-sales.md): the loads of the
 * last 30 days, by time, lines and orders, and the order ids at both ends. No line is quoted: lines
 * carry customer ids and emails, and this text goes into reports and alert issues.
 */
export function heldAction(state: SalesState, name: string): string {
  const p = state.pending;
  const orders = p?.orders === undefined ? '' : ` in ${count(p.orders)} order${p.orders === 1 ? '' : 's'}`;
  const ids = p?.firstOrder ? `, order ids ${p.firstOrder} to ${p.lastOrder}` : '';
  const what = p
    ? `Check in Emarsys whether upload ${p.part} of ${p.parts}, sent ${p.startedAt}, arrived: Management > Smart Insight Data Quality > Data Loads lists the files loaded in the last 30 days ` +
      `(look for ${count(p.lines)} lines${orders}${ids}); Emarsys loads files some hours after accepting them. `
    : '';
  return (
    `${what}If it arrived, run: npx writeback release ${name} --delivered. ` +
    `If it did not, run: npx writeback release ${name} --not-delivered (those lines are then sent by the next run). Commit the state change.`
  );
}

/** Why the job waits for a person, if it does: an intent without a recorded answer, or a hold. */
export function heldSales(state: SalesState, name: string): { message: string; action: string } | undefined {
  if (!state.pending && !state.held) return undefined;
  const message = state.held
    ? `Held since ${state.held.since} (run ${state.held.runId}): ${state.held.reason}. Nothing was sent.`
    : `A previous run (${state.pending!.runId}) stopped during upload ${state.pending!.part}; whether Emarsys received it is unknown. Nothing was sent.`;
  return { message, action: heldAction(state, name) };
}
