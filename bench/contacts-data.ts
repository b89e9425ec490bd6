/** Synthetic loyalty contacts for the Dotdigital bench: a Domo DataSet with more columns than the job maps. */
import { random } from '../src/demo/sample-data.ts';

export const CONTACT_COLUMNS = [
  { name: 'contact_id', type: 'LONG' },
  { name: 'email_address', type: 'STRING' },
  { name: 'first_name', type: 'STRING' },
  { name: 'last_name', type: 'STRING' },
  { name: 'city', type: 'STRING' },
  { name: 'points', type: 'LONG' },
  { name: 'joined_at', type: 'DATETIME' },
  { name: 'tier', type: 'STRING' },
];

/** The bench's mapping: Domo column -> Dotdigital field (Email, then data fields; the last two created by the run). */
export const CONTACT_MAPPING: [string, string][] = [
  ['email_address', 'Email'],
  ['first_name', 'FIRSTNAME'],
  ['last_name', 'LASTNAME'],
  ['points', 'POINTS'],
  ['joined_at', 'JOINED'],
];

const FIRST = ['Anna', 'Ben', 'Chloé', 'David', 'Emma', 'Finn', 'Greta', 'Hugo', 'Ida', 'Jonas', 'Lena', "O'Neil"];
const LAST = ['Müller', 'Schmidt', 'Jones', 'Smith', 'García', 'Rossi', 'Dubois', 'Nowak', 'Jansen', 'Berg, van den'];
const CITIES = ['Berlin', 'Hamburg', 'London', 'Paris', 'Madrid', 'Rome', 'Vienna', 'Zürich'];
const TIERS = ['bronze', 'silver', 'gold'];

/** Rows `first`..`first + count - 1`: unique emails; some first names are Domo nulls, some names need quotes. */
export function contactRows(first: number, count: number): (string | null)[][] {
  const rand = random(first + 7);
  const joinedFrom = Date.UTC(2018, 0, 1);
  return Array.from({ length: count }, (_, k) => {
    const i = first + k;
    const firstName = FIRST[Math.floor(rand() * FIRST.length)]!;
    const lastName = LAST[Math.floor(rand() * LAST.length)]!;
    const joined = new Date(joinedFrom + Math.floor(rand() * 8 * 365 * 86_400_000)).toISOString().slice(0, 19);
    return [String(500_000 + i), `${firstName.toLowerCase().replace(/\W/g, '')}.${i}@example.com`, i % 53 === 0 ? null : firstName, lastName, CITIES[i % CITIES.length]!, String(Math.floor(rand() * 20_000)), joined, TIERS[i % 3]!];
  });
}
