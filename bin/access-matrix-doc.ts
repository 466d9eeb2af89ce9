import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { accessMatrix } from '../lib/access-matrix.js';
import { withGeneratedMatrix } from '../lib/access-matrix-doc.js';

/** Writes the matrix table of docs/access-matrix.md from lib/access-matrix.ts. */
const file = join(import.meta.dirname, '..', 'docs', 'access-matrix.md');
await writeFile(file, withGeneratedMatrix(await readFile(file, 'utf8'), accessMatrix));
