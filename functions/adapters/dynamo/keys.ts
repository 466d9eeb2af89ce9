/** Key shapes of the main table, in one place so repositories do not invent overlapping ones. */
export const keys = {
  project: (projectId: string) => ({ pk: `PROJECT#${projectId}`, sk: 'META' }),
  member: (projectId: string, sub: string) => ({ pk: `PROJECT#${projectId}`, sk: `MEMBER#${sub}` }),
  audit: (scope: string, at: string, seq: string) => ({ pk: `AUDIT#${scope}`, sk: `${at}#${seq}` }),
  opsState: () => ({ pk: 'OPERATIONS', sk: 'STATE' }),
};
