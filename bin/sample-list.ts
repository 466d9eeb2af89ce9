import { syntheticNins } from '../functions/domain/lists/nin-generator.js';

/**
 * A recipient list to try the platform with: `npm run sample-list -- 1000 > list.csv` prints a
 * header and that many rows `nin;fornavn` with synthetic national IDs (month + 80: never a real
 * person, valid check digits, known to the local registry stand-ins as alive adults).
 * An optional second argument starts at another offset, for a second list without overlap.
 */
const NAMES = ['Ola', 'Kari', 'Nora', 'Jakob', 'Emma', 'Filip', 'Sofie', 'Lukas', 'Ingrid', 'Aksel', 'Maja', 'Henrik'];

const [countArg = '1000', offsetArg = '0'] = process.argv.slice(2);
const count = Number(countArg);
const offset = Number(offsetArg);
if (!Number.isInteger(count) || count < 1 || count > 500_000 || !Number.isInteger(offset) || offset < 0) {
  console.error('usage: npm run sample-list -- <count 1..500000> [offset] > list.csv');
  process.exit(2);
}
const rows = syntheticNins(count, offset).map((nin, i) => `${nin};${NAMES[i % NAMES.length]}`);
process.stdout.write(`nin;fornavn\n${rows.join('\n')}\n`);
