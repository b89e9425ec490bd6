/**
 * Starts the three emulators (Domo, Emarsys, Dotdigital) on 127.0.0.1 with the accounts and DataSets
 * given, and says where they listen as the variables the runner reads (README, "Endpoints"). Shared by
 * the demo (src/demo/world.ts) and `writeback emulate` (src/demo/emulated-world.ts).
 */
import { WritebackError } from '../errors/index.ts';
import { DomoEmulator, type EmulatedClient, type EmulatedDataSet } from './domo.ts';
import { DotdigitalEmulator } from './dotdigital.ts';
import { EmarsysEmulator } from './emarsys.ts';

export interface EmulatorAccounts {
  /** Domo clients: id to secret (with the data and user scopes), or to a secret and its scopes. */
  domoClients: Record<string, string | EmulatedClient>;
  /** Emarsys merchants: id to token, or to the token and the column order agreed at onboarding. */
  emarsysMerchants: Record<string, string | { token: string; agreedOrder?: string[] }>;
  /** Dotdigital API users of the one emulated account: username to password (at least one). */
  dotdigitalUsers: Record<string, string>;
  dotdigitalRegion?: 'r1' | 'r2' | 'r3';
  /** Data fields the Dotdigital account has from the start. */
  dataFields?: { name: string; type: string }[];
  dataSets?: EmulatedDataSet[];
  /** Domo listens on this port, Emarsys on the next, Dotdigital on the one after (default: any free ports). */
  port?: number;
}

/** The variables that point the runner at the emulators. */
export interface EmulatorEndpoints {
  DOMO_API_URL: string;
  EMARSYS_SALES_API_URL: string;
  DOTDIGITAL_API_URL: string;
}

export interface RunningEmulators {
  domo: DomoEmulator;
  emarsys: EmarsysEmulator;
  dotdigital: DotdigitalEmulator;
  endpoints: EmulatorEndpoints;
  stop(): Promise<void>;
}

export async function startEmulators(accounts: EmulatorAccounts): Promise<RunningEmulators> {
  const domo = new DomoEmulator(accounts.domoClients);
  const emarsys = new EmarsysEmulator(accounts.emarsysMerchants);
  const [first, ...others] = Object.entries(accounts.dotdigitalUsers);
  if (!first) throw new Error('startEmulators: the Dotdigital emulator needs an API user');
  const dotdigital = new DotdigitalEmulator(first[0], first[1], accounts.dotdigitalRegion ?? 'r1');
  for (const [username, password] of others) dotdigital.addUser(username, password);
  for (const field of accounts.dataFields ?? []) dotdigital.dataFields.set(field.name, { name: field.name, type: field.type, visibility: 'Public', defaultValue: null });
  for (const dataSet of accounts.dataSets ?? []) domo.addDataSet(dataSet);

  const emulators = [domo, emarsys, dotdigital];
  const port = accounts.port;
  const started = await Promise.allSettled(emulators.map((emulator, i) => emulator.start(port === undefined ? 0 : port + i)));
  const failed = started.findIndex((s) => s.status === 'rejected');
  if (failed >= 0) {
    await Promise.all(emulators.filter((_, i) => started[i]!.status === 'fulfilled').map((e) => e.stop()));
    const reason = (started[failed] as PromiseRejectedResult).reason as NodeJS.ErrnoException;
    const what = ['Domo', 'Emarsys', 'Dotdigital'][failed];
    if (reason?.code === 'EADDRINUSE' && port !== undefined) throw new EmulatorPortError(`port ${port + failed} (for the ${what} emulator) is in use; choose another port, or none for free ones`);
    throw reason;
  }
  return {
    domo,
    emarsys,
    dotdigital,
    endpoints: { DOMO_API_URL: domo.url, EMARSYS_SALES_API_URL: emarsys.url, DOTDIGITAL_API_URL: dotdigital.url },
    stop: async () => {
      await Promise.all(emulators.map((e) => e.stop()));
    },
  };
}

/** An emulator could not listen on the port asked for. */
export class EmulatorPortError extends WritebackError {
  override name = 'EmulatorPortError';
}
