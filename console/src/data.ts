import { api, ApiError, itemsOf, seg, type Letter, type Project, type Round } from './api';
import { roundNumbers } from './format';
import { recall } from './session';

export const projectPath = (projectId: string) => `/projects/${seg(projectId)}`;

export const getProject = (projectId: string, signal?: AbortSignal) => api.get<Project>(projectPath(projectId), signal);

export const listProjects = async (signal?: AbortSignal) => itemsOf<Project>(await api.get('/projects', signal));

export const listRounds = async (projectId: string, signal?: AbortSignal): Promise<Round[]> => itemsOf<Round>(await api.get(`${projectPath(projectId)}/rounds`, signal), 'items');

export const getRound = (projectId: string, roundId: string, signal?: AbortSignal) => api.get<Round>(`${projectPath(projectId)}/rounds/${seg(roundId)}`, signal);

export const getLetter = (projectId: string, letterId: string, signal?: AbortSignal) => api.get<Letter>(`${projectPath(projectId)}/letters/${seg(letterId)}`, signal);

export interface AuditEvent {
  at: string;
  actor: string;
  /** The name the actor's sign-in gave when they acted, when it gave one. */
  actorName?: string;
  role?: string;
  action: string;
  details?: Record<string, unknown>;
}

export const getAudit = async (projectId: string, signal?: AbortSignal) => itemsOf<AuditEvent>(await api.get(`${projectPath(projectId)}/audit`, signal), 'items');

/** A failed optional call counts as "nothing", so one missing endpoint does not blank a screen. */
const orEmpty = async <T>(p: Promise<T[]>): Promise<T[]> => {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && e.status < 500) return [];
    throw e;
  }
};

/**
 * The project's letters. API.md has no list endpoint for letters, so ids come from a list endpoint
 * if the platform offers one, the audit trail's details, and what this browser created.
 */
export const listLetters = async (projectId: string, signal?: AbortSignal): Promise<Letter[]> => {
  const listed = await orEmpty(api.get(`${projectPath(projectId)}/letters`, signal).then((d) => itemsOf<Letter>(d)));
  const ids = new Set<string>(listed.map((l) => l.letterId));
  for (const e of await orEmpty(getAudit(projectId, signal))) {
    const id = e.details?.letterId;
    if (typeof id === 'string') ids.add(id);
  }
  for (const id of recall(projectId).letters) ids.add(id);
  const letters = await Promise.all(
    [...ids].map((id) =>
      getLetter(projectId, id, signal).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return undefined;
        throw e;
      }),
    ),
  );
  return letters.filter((l): l is Letter => !!l);
};

/**
 * One earlier version of a letter, for the reviewer's diff. API.md only returns the latest
 * version; this asks with `?version=` (an additive extension) and checks what came back.
 */
export const getLetterVersion = async (projectId: string, letterId: string, version: number, signal?: AbortSignal): Promise<Letter | undefined> => {
  try {
    const l = await api.get<Letter>(`${projectPath(projectId)}/letters/${seg(letterId)}?version=${version}`, signal);
    return l.version === version ? l : undefined;
  } catch (e) {
    if (e instanceof ApiError && e.status < 500) return undefined;
    throw e;
  }
};

export interface KnownList {
  listId: string;
  rows: number;
  accepted: number;
  name?: string;
}

/** Lists from GET …/recipient-lists where offered, merged with the ones this browser uploaded. */
export const listLists = async (projectId: string, signal?: AbortSignal): Promise<KnownList[]> => {
  const listed = await orEmpty(api.get(`${projectPath(projectId)}/recipient-lists`, signal).then((d) => itemsOf<KnownList>(d)));
  const out = new Map<string, KnownList>();
  for (const l of recall(projectId).lists) out.set(l.listId, l);
  for (const l of listed) out.set(l.listId, { ...out.get(l.listId), ...l });
  return [...out.values()];
};

/** `completed`: for external forms, how many recipients' form systems reported completion (never who). */
type KnownFormTask = { formTaskId: string; title: string; completed?: number };

export const listFormTasks = async (projectId: string, signal?: AbortSignal): Promise<KnownFormTask[]> => {
  const listed = await orEmpty(api.get(`${projectPath(projectId)}/form-tasks`, signal).then((d) => itemsOf<KnownFormTask>(d)));
  const out = new Map<string, KnownFormTask>();
  for (const f of recall(projectId).formTasks) out.set(f.formTaskId, f);
  for (const f of listed) out.set(f.formTaskId, f);
  return [...out.values()];
};

// A letter's title hardly changes; the operations page polls, so each title is asked for once.
const titles = new Map<string, Promise<string | undefined>>();
export const letterTitle = (projectId: string, letterId: string): Promise<string | undefined> => {
  const key = `${projectId}/${letterId}`;
  let title = titles.get(key);
  if (!title) {
    title = getLetter(projectId, letterId).then(
      (l) => l.title,
      () => {
        titles.delete(key);
        return undefined;
      },
    );
    titles.set(key, title);
  }
  return title;
};

/** What `roundName` needs of a round: its number in the project, its letter's title and version, its size. */
export interface RoundLabel {
  number?: number;
  letterTitle?: string;
  version?: number;
  recipients?: number;
}

/** Labels for `shown` rounds, numbered among all of the project's `rounds` (oldest first). */
export const roundLabels = async (projectId: string, rounds: readonly Round[], shown: readonly Round[] = rounds): Promise<Map<string, RoundLabel>> => {
  const numbers = roundNumbers(rounds);
  const out = new Map<string, RoundLabel>();
  await Promise.all(
    shown.map(async (r) =>
      out.set(r.roundId, {
        number: numbers.get(r.roundId),
        letterTitle: r.letterId ? await letterTitle(projectId, r.letterId) : undefined,
        version: r.letterVersion,
        recipients: r.counts?.planned ?? r.preflight?.total,
      }),
    ),
  );
  return out;
};
