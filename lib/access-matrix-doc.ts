import type { Access, TableAction, TableGrant } from './access-matrix.js';
import { tables, type TableId } from './resources.js';

/**
 * The matrix table of docs/access-matrix.md, generated from lib/access-matrix.ts (never a hand
 * copy): `npm run docs:access-matrix` writes it between the markers, and test/infra checks the
 * file holds exactly what this returns.
 */
export const BEGIN = '<!-- generated from lib/access-matrix.ts by npm run docs:access-matrix: do not edit -->';
export const END = '<!-- end of generated matrix -->';

const READ: readonly TableAction[] = ['GetItem', 'BatchGetItem', 'Query', 'ConditionCheckItem'];
const WRITE: readonly TableAction[] = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'];
const TABLES: readonly TableId[] = ['main', 'citizens', 'recipients', 'deliveries', 'audit', 'fence'];

const actions = (list: readonly TableAction[]): string => {
  const rest = [...list];
  const parts: string[] = [];
  const take = (group: readonly TableAction[], name: string) => {
    if (group.every((a) => rest.includes(a))) {
      parts.push(name);
      for (const a of group) rest.splice(rest.indexOf(a), 1);
    }
  };
  take(READ, 'R');
  take(WRITE, 'W');
  return [...parts, ...rest.map((a) => a.replace(/Item$/, ''))].join(',');
};

const grant = (g: TableGrant): string => `${actions(g.actions)}${g.indexes ? ' +idx' : ''}${g.leadingKeys?.length ? ` [${g.leadingKeys.join(', ')}]` : ''}`;

export const accessMatrixTable = (matrix: Readonly<Record<string, Access>>): string => {
  const head = `| function | ${TABLES.join(' | ')} | queues | bucket | keys | integration secrets | purpose |`;
  const rule = `|${' --- |'.repeat(TABLES.length + 6)}`;
  const rows = Object.entries(matrix).map(([fn, a]) => {
    const cells = TABLES.map((t) => (a.tables[t]?.length ? a.tables[t].map(grant).join('; ') : '–'));
    const queues = Object.entries(a.queues).flatMap(([q, g]) => [...(g?.send ? [`send ${q}`] : []), ...(g?.deadLetters ? [`DLQ ${q}`] : [])]);
    const buckets = Object.entries(a.buckets).map(([b, acts]) => `${b}: ${acts.join(',')}`);
    return `| ${fn} | ${cells.join(' | ')} | ${queues.join('; ') || '–'} | ${[...buckets, ...(a.seals ? ['seals: Put'] : []), ...(a.readSeals ? ['seals: List, Get (heads/)'] : [])].join('; ') || '–'} | ${[...(a.hashKey ? ['hash key'] : []), ...(a.callbackSealKey ? ['callback seal key'] : [])].join(', ') || '–'} | ${a.integrationSecrets.join(', ') || '–'} | ${a.purpose.replace(/\|/g, '\\|')} |`;
  });
  const legend = [
    `R = ${READ.join(', ')}. W = ${WRITE.join(', ')}. \`[…]\` = \`dynamodb:LeadingKeys\` (the partition key must match; no index, no Scan under such a condition). "+idx" = also the table's indexes (${TABLES.filter((t) => tables[t].indexes.length).join(', ')}).`,
    '',
  ];
  return [BEGIN, ...legend, head, rule, ...rows, END].join('\n');
};

/** The document with its generated block replaced. */
export const withGeneratedMatrix = (doc: string, matrix: Readonly<Record<string, Access>>): string => {
  const from = doc.indexOf(BEGIN);
  const to = doc.indexOf(END);
  if (from < 0 || to < from) throw new Error('docs/access-matrix.md has no generated-matrix markers');
  return doc.slice(0, from) + accessMatrixTable(matrix) + doc.slice(to + END.length);
};
