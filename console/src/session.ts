/** The signed-in dev identity and its token: kept for this tab only (sessionStorage). */
export type Role = 'researcher' | 'superuser' | 'operations';

export interface Identity {
  readonly sub: string;
  readonly role: Role;
  readonly org?: string;
  readonly name?: string;
}

export interface Session {
  readonly token: string;
  readonly identity: Identity;
}

const KEY = 'rd.session';

export const loadSession = (): Session | undefined => {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : undefined;
  } catch {
    return undefined;
  }
};

export const saveSession = (s: Session | undefined): void => {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
};

/**
 * Ids the API has no list endpoint for (letters, lists, form tasks): remembered per project in
 * localStorage so a reviewer in another tab of the same browser can find them too. Audit events
 * and the letters list (if the API offers one) are merged in as well.
 */
export interface Remembered {
  letters: string[];
  lists: { listId: string; rows: number; accepted: number; name?: string }[];
  formTasks: { formTaskId: string; title: string }[];
}

const memKey = (projectId: string) => `rd.project.${projectId}`;

export const recall = (projectId: string): Remembered => {
  try {
    const raw = localStorage.getItem(memKey(projectId));
    const v = raw ? (JSON.parse(raw) as Partial<Remembered>) : {};
    return { letters: v.letters ?? [], lists: v.lists ?? [], formTasks: v.formTasks ?? [] };
  } catch {
    return { letters: [], lists: [], formTasks: [] };
  }
};

export const remember = (projectId: string, update: (r: Remembered) => void): void => {
  const r = recall(projectId);
  update(r);
  localStorage.setItem(memKey(projectId), JSON.stringify(r));
};
