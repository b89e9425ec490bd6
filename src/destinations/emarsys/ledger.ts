/**
 * The meaning of an Emarsys job's ledger, and the window it may read. The ledger is a set of key
 * fingerprints: read with another key, another account or another cursor column, every delivered line
 * looks new and is sent again. So the state records what its fingerprints mean, a mismatch refuses to
 * deliver (naming the fix), and rows older than what the ledger remembers (its horizon) are skipped.
 */
import { createHash } from 'node:crypto';
import { parseDuration } from '../../definitions/duration.ts';
import type { EmarsysSalesSpec } from './spec.ts';
import { isoUtc } from '../../pipeline/values.ts';
import { count } from '../../reports/count.ts';
import { KEY_ENCODING } from '../../state/key-hasher.ts';
import type { JobState } from '../../state/job-state.ts';
import type { LedgerMeaning, SalesState } from './state.ts';
import { resolveFieldOrder } from './fields.ts';

export const DEFAULT_KEY = ['order', 'item'];
export const KIND = 'EmarsysSalesWriteback';

/** Whether the state records any delivery: what a ledger's meaning must then keep. */
export const hasDeliveries = (jobState: JobState): boolean => {
  const state = jobState as SalesState;
  return (state.segments?.length ?? 0) > 0 || state.cursor !== undefined || state.ledger?.horizon !== undefined;
};

/** An id as the state may keep it: the first 16 hex digits of its sha256 (the merchant id is usually a secret). */
export const accountFingerprint = (merchantId: string): string => createHash('sha256').update(merchantId).digest('hex').slice(0, 16);

export interface LedgerCheck {
  /** The meaning the ledger has (or gets) for this run. */
  meaning: LedgerMeaning;
  /** Reasons not to deliver, each naming its fix. */
  problems: string[];
  warnings: string[];
  /** Rows whose cursor is before this (ms) are not read again. */
  windowStart?: number;
  /** Rows whose cursor is after this (ms) are rejected. */
  cursorLimit?: number;
  /** The delivered cursor to continue from (ms). */
  cursor?: number;
  /** The columns of the files, in order (see resolveFieldOrder). */
  fieldOrder: string[];
}

/** State of a job whose definition is gone, found in state/ (a candidate for a rename). */
export interface OrphanState {
  name: string;
  state: SalesState;
}

const keyText = (key: string[]) => key.join(' + ');

/**
 * Checks a job's state against its definition before anything is read. `orphans` are states of jobs
 * without a definition (a job that delivered nothing yet may be one of them renamed).
 */
export function checkLedger(input: {
  name: string;
  spec: EmarsysSalesSpec;
  state: SalesState;
  /** Undefined when it cannot be resolved (a plan without that secret): the account is then not compared. */
  merchantId: string | undefined;
  orphans: OrphanState[];
  now: number;
  cursorToleranceMs: number;
  /** The definition's hash now (state.definitionHash is the one of its last run). */
  definitionHash: string;
}): LedgerCheck {
  const { name, spec, state, now } = input;
  const key = spec.delivery?.key ?? DEFAULT_KEY;
  const cursorColumn = spec.delivery?.cursor;
  const account = input.merchantId === undefined ? state.ledger?.account ?? '' : accountFingerprint(input.merchantId);
  const expected = { kind: KIND, key, account, dataset: spec.source.domo.datasetId, cursor: cursorColumn };
  const problems: string[] = [];
  const warnings: string[] = [];
  const baseline = `npx writeback baseline ${name}`;
  const fresh = `delete state/${name}.json and state/${name}/ and commit`;

  // A job that has delivered nothing yet (maybe a renamed one, whose refused runs left an empty state).
  if (!hasDeliveries(state)) {
    for (const orphan of input.orphans) {
      const theirs = orphan.state.ledger;
      if (orphan.state.kind !== KIND || !hasDeliveries(orphan.state)) continue;
      if (!theirs) {
        // An earlier version's state does not say what it delivered where: worth a word, not a refusal.
        warnings.push(`state/${orphan.name}.json (whose definition is gone) records earlier deliveries; if ${name} is ${orphan.name} renamed, stop and run: npx writeback rename ${orphan.name} ${name}`);
        continue;
      }
      if (theirs.account !== expected.account || theirs.dataset !== expected.dataset) continue;
      problems.push(
        `${name} has no state yet, but state/${orphan.name}.json (whose definition is gone) records deliveries of the same DataSet to the same Emarsys account: ` +
          `if you renamed ${orphan.name} to ${name}, run: npx writeback rename ${orphan.name} ${name}. If ${name} is a new job, its lines would be sent again: ` +
          `run ${baseline} to record what Emarsys already holds, or delete state/${orphan.name}.json and state/${orphan.name}/ if those lines must be sent once more.`,
      );
    }
  }
  if (state.name && state.name !== name) {
    problems.push(`state/${name}.json belongs to job "${state.name}" (a copy of another job's state?): its ledger says nothing about ${name}. Restore ${name}'s own state from git history, or ${fresh}.`);
  }
  if (state.kind && state.kind !== KIND) problems.push(`state/${name}.json was written by a ${state.kind} job, not an ${KIND}: restore the right state from git history, or ${fresh}.`);

  let meaning: LedgerMeaning;
  let restart = false;
  const known = state.ledger;
  if (!hasDeliveries(state)) {
    meaning = { ...expected, keyEncoding: KEY_ENCODING };
  } else if (!known) {
    // Written by a version that did not record the meaning. Unchanged since its last run, the definition
    // as it is now says what it meant; changed since, nobody can tell whether the key, lookback or account changed.
    const lookbackMs = parseDuration(spec.delivery?.lookback ?? '') ?? 0;
    const cursor = state.cursor ? Date.parse(state.cursor) : NaN;
    const horizon = cursorColumn && state.segments.length && Number.isFinite(cursor) && cursor <= now + input.cursorToleranceMs ? isoUtc(cursor - lookbackMs) : undefined;
    meaning = { ...expected, keyEncoding: 'joined', horizon };
    if (state.definitionHash && state.definitionHash !== input.definitionHash) {
      problems.push(
        `state/${name}.json was written by an earlier version of Writeback, which did not record what its ledger means, and the definition changed since that run: ` +
          `if delivery.key, delivery.lookback, the cursor or the merchant id changed, delivered lines would be sent again. Run the job once with the definition as it was ` +
          `(git revert the change) so the state records its meaning, then change it; or run ${baseline} to start the ledger from the export as it is now.`,
      );
    } else {
      warnings.push(`state/${name}.json did not record what its ledger means (it was written by an earlier version): recorded key ${keyText(key)}, this Emarsys account${cursorColumn ? ` and cursor ${cursorColumn}` : ''} as they are now; changes to them are detected from now on`);
    }
  } else {
    meaning = { ...known };
    if (keyText(known.key) !== keyText(key)) {
      problems.push(
        `spec.delivery.key is ${keyText(key)} but the ledger's fingerprints were made from ${keyText(known.key)}: every delivered line would look new and be sent again. ` +
          `Restore delivery.key: [${known.key.join(', ')}], or run ${baseline} to record the lines the export holds now under the new key (check first that Emarsys holds them).`,
      );
    }
    if (known.account !== expected.account) {
      problems.push(
        `the Emarsys merchant id changed: the ledger records lines delivered to another account. If the new account holds none of them, ${fresh} (everything is then sent to it); ` +
          `if it already holds them, run ${baseline}.`,
      );
    }
    if ((known.cursor ?? '') !== (cursorColumn ?? '')) {
      if (known.horizon) {
        problems.push(
          `spec.delivery.cursor is ${cursorColumn ?? 'not set'} but the ledger's window is measured on ${known.cursor ?? 'no cursor'}, and lines before ${known.horizon} were pruned from it: they would be sent again. ` +
            `Restore delivery.cursor${known.cursor ? `: ${known.cursor}` : ' (remove it)'}, or run ${baseline} to start the ledger from the export as it is now.`,
        );
      } else {
        // The ledger still holds every line it ever delivered: reading the whole export once is safe.
        warnings.push(`delivery.cursor changed from ${known.cursor ?? 'none'} to ${cursorColumn ?? 'none'}: this run reads the whole export once; the ledger holds every delivered line`);
        meaning.cursor = cursorColumn;
        restart = true;
      }
    }
    meaning.dataset = expected.dataset;
  }

  const columns = resolveFieldOrder(spec, state, hasDeliveries(state));
  if (columns.warning) warnings.push(columns.warning);
  const check: LedgerCheck = { meaning, problems, warnings, fieldOrder: columns.order };
  if (!cursorColumn) return check;
  const lookbackMs = parseDuration(spec.delivery?.lookback ?? '') ?? 0;
  // A row ahead of now by more than the lookback would move the cursor past rows that are yet to come:
  // with the window measured back from it, they would count as old. So the lookback bounds the tolerance.
  check.cursorLimit = now + Math.min(input.cursorToleranceMs, lookbackMs);
  if (state.cursor !== undefined && !restart) {
    const cursor = Date.parse(state.cursor);
    if (!Number.isFinite(cursor)) {
      problems.push(`state/${name}.json has a cursor "${state.cursor}" that is not a time: restore the state from git history, or run ${baseline}.`);
    } else if (cursor > now + input.cursorToleranceMs) {
      problems.push(
        `state/${name}.json has the cursor ${state.cursor}, after now: a far-future row moved it (earlier versions allowed that), and the ledger may have dropped lines older than it. ` +
          `Check in Emarsys which lines it holds, then run ${baseline} --until <the last delivered ${cursorColumn}>.`,
      );
    } else {
      check.cursor = cursor;
      check.windowStart = cursor - lookbackMs;
    }
  }
  const horizon = meaning.horizon === undefined ? undefined : Date.parse(meaning.horizon);
  if (horizon !== undefined && Number.isFinite(horizon) && (check.windowStart === undefined || check.windowStart < horizon)) {
    if (check.windowStart !== undefined) {
      warnings.push(
        `delivery.lookback reaches back to ${isoUtc(check.windowStart)}, but the ledger only remembers lines from ${meaning.horizon} on (older entries were pruned): rows before that are counted as skipped, never sent again`,
      );
    }
    check.windowStart = horizon;
  }
  return check;
}

/**
 * After a fully delivered run: the ledger forgets segments whose lines all lie before the window of the
 * new cursor (those rows are never read again) and its horizon moves to that window's start.
 * Returns the files to delete.
 */
export function pruneSegments(state: SalesState, lookbackMs: number): string[] {
  if (!state.cursor || !state.ledger?.cursor) return [];
  const windowStart = Date.parse(state.cursor) - lookbackMs;
  const gone = state.segments.filter((s) => s.maxCursor !== undefined && Date.parse(s.maxCursor) < windowStart);
  if (!gone.length) return [];
  state.segments = state.segments.filter((s) => !gone.includes(s));
  const horizon = isoUtc(windowStart);
  if (!state.ledger.horizon || state.ledger.horizon < horizon) state.ledger.horizon = horizon;
  return gone.map((s) => s.file);
}

/** One line for plans: what the ledger holds and means. */
export function describeLedger(state: SalesState, check: LedgerCheck): string {
  const lines = state.segments.reduce((n, s) => n + s.lines, 0);
  const { meaning } = check;
  const from = meaning.horizon ? `, lines from ${meaning.horizon} on` : '';
  const window = check.windowStart === undefined ? 'the whole export is read' : `rows from ${isoUtc(check.windowStart)} on are read`;
  return `${count(lines)} delivered lines remembered${from} (key ${keyText(meaning.key)}, ${meaning.keyEncoding}); ${window}`;
}

/** Fewer lines than this that should be in the ledger say too little to judge it by. */
const MIN_LINES_TO_JUDGE = 3;

/**
 * Why the ledger does not fit the export, if it does not: many lines that earlier runs delivered and none
 * of them in the ledger means it is read with another meaning than it was written with.
 */
export function ledgerMisfit(name: string, state: SalesState, scan: { shouldBeKnown: number; recognised: number }): string | undefined {
  if (!state.segments.length || scan.shouldBeKnown < MIN_LINES_TO_JUDGE || scan.recognised > 0) return undefined;
  return (
    `the ledger holds none of the ${count(scan.shouldBeKnown)} lines that earlier runs delivered (up to ${state.cursor ?? 'the last run'}), so its fingerprints do not fit this definition ` +
    `(a delivery.key changed before the state recorded it, say) and every line would be sent again. Restore the definition the ledger was written with, or run npx writeback baseline ${name}.`
  );
}
