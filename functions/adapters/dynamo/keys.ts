/**
 * Key shapes, in one place so repositories do not invent overlapping ones. Each repository owns
 * the prefixes of its aggregate; add new shapes here.
 */
export const keys = {
  // main table
  project: (projectId: string) => ({ pk: `PROJECT#${projectId}`, sk: 'META' }),
  member: (projectId: string, sub: string) => ({ pk: `PROJECT#${projectId}`, sk: `MEMBER#${sub}` }),
  audit: (scope: string, at: string, seq: string) => ({ pk: `AUDIT#${scope}`, sk: `${at}#${seq}` }),
  opsState: () => ({ pk: 'OPERATIONS', sk: 'STATE' }),

  // citizens table: the citizen's own records are keyed by their national ID
  reservation: (nin: string) => ({ pk: `CIT#${nin}`, sk: 'RESERVATION' }),
  withdrawal: (nin: string, projectId: string) => ({ pk: `CIT#${nin}`, sk: `WITHDRAWN#${projectId}` }),
  population: (nin: string) => ({ pk: `CIT#${nin}`, sk: 'POPULATION' }),
  /** One item per citizen and project: the list of contacts (ContactRecord[]), appended on send. */
  contacts: (nin: string, projectId: string) => ({ pk: `CIT#${nin}`, sk: `CONTACTS#${projectId}` }),
  inbox: (nin: string, deliveryId: string) => ({ pk: `CIT#${nin}`, sk: `INBOX#${deliveryId}` }),
  task: (nin: string, taskId: string) => ({ pk: `CIT#${nin}`, sk: `TASK#${taskId}` }),
};
