import { loadSession } from './session';

/** An error as the API reports it: `{error: {code, message, details}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** Field → message, from VALIDATION_FAILED details `[{field, message}]`. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    if (!Array.isArray(this.details)) return out;
    for (const d of this.details as unknown[]) {
      if (d && typeof d === 'object' && 'field' in d) {
        const field = String(d.field);
        const msg = 'message' in d ? String((d as { message: unknown }).message) : this.message;
        out[field] = out[field] ? `${out[field]}; ${msg}` : msg;
      }
    }
    return out;
  }

  /** Whether the endpoint itself is missing (not yet built), as opposed to a missing resource. */
  get noSuchEndpoint(): boolean {
    return this.status === 404 && /no such endpoint|route not found/i.test(this.message);
  }
}

export interface RequestOptions {
  readonly body?: unknown;
  /** Send `body` (a string) as-is with this content type instead of JSON. */
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  readonly token?: string;
}

const parse = async (res: Response): Promise<unknown> => {
  const text = await res.text();
  if (!text) return undefined;
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
};

export const request = async <T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> => {
  const headers: Record<string, string> = {};
  const token = opts.token ?? loadSession()?.token;
  if (token) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    if (opts.contentType) {
      headers['content-type'] = opts.contentType;
      body = String(opts.body);
    } else {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, signal: opts.signal });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', e instanceof Error ? e.message : String(e));
  }
  const data = await parse(res);
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? res.statusText, err?.details);
  }
  return data as T;
};

export const api = {
  get: <T = unknown>(path: string, signal?: AbortSignal) => request<T>('GET', path, { signal }),
  post: <T = unknown>(path: string, body?: unknown) => request<T>('POST', path, { body }),
  put: <T = unknown>(path: string, body?: unknown) => request<T>('PUT', path, { body }),
  del: <T = unknown>(path: string) => request<T>('DELETE', path),
  text: <T = unknown>(method: string, path: string, body: string, contentType: string) => request<T>(method, path, { body, contentType }),
};

/** Encodes one path segment (ids are opaque strings). */
export const seg = (s: string) => encodeURIComponent(s);

/** `{items: [...]}` or a bare array: the API returns lists as the former; tolerate both. */
export const itemsOf = <T>(data: unknown, key = 'items'): T[] => {
  if (Array.isArray(data)) return data as T[];
  if (data && typeof data === 'object') {
    const v = (data as Record<string, unknown>)[key];
    if (Array.isArray(v)) return v as T[];
    for (const value of Object.values(data)) if (Array.isArray(value)) return value as T[];
  }
  return [];
};

// Shapes the console reads (fields beyond these may exist).
export interface Project {
  projectId: string;
  title: string;
  organization: string;
  purpose: string;
  status: 'draft' | 'in_review' | 'approved' | 'changes_requested' | 'paused';
  allowedLinkDomains?: string[];
  createdBy?: string;
  submittedBy?: string;
  pausedAt?: string;
  pausedBy?: string;
  /** The pauser's name, as their sign-in gave it (shown instead of the user id). */
  pausedByName?: string;
  /** When the pause was seen to hold (nothing in flight); the letters since are counted from it. */
  pauseConfirmedAt?: string;
  pauseReason?: string;
  statusBeforePause?: string;
  /** Georedundant stages: held by a pause only the fence shows (pressed in another region after a resume here); a resume ends it. */
  pausedInAnotherRegion?: boolean;
  updatedAt?: string;
  settings?: { frequencyCap?: number; distributionRule?: string; minors?: 'exclude' | 'guardians' };
  /** The automatic brake in force, defaults filled in (beside `settings`, never inside it). */
  brake?: import('./api-types').BrakeSettings;
  minorsPolicy?: { effective: 'exclude' | 'guardians'; pendingApproval: boolean; setBy?: string; setAt?: string; approvedBy?: string; approvedAt?: string; approvedPolicy?: string };
}

export interface LetterContent {
  subject: string;
  body: string;
}

export interface Letter {
  letterId: string;
  projectId?: string;
  title: string;
  kind: 'letter' | 'form-task';
  formTaskId?: string;
  version: number;
  approval?: 'pending' | 'approved';
  approvedVersion?: number;
  approvedBy?: string;
  approvedAt?: string;
  content: { nb?: LetterContent; nn?: LetterContent; en?: LetterContent };
  authoredBy?: string;
  createdAt?: string;
}

export interface Finding {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  language?: 'nb' | 'nn' | 'en';
  link?: string;
  [k: string]: unknown;
}

export interface Round {
  roundId: string;
  projectId?: string;
  letterId?: string;
  letterVersion?: number;
  listId?: string;
  status: 'preparing' | 'ready' | 'held' | 'scheduled' | 'dispatching' | 'canary_hold' | 'paused' | 'completed' | 'cancelled';
  /** A large list's pre-flight, done in the background: recipients checked so far of the list's total. */
  /** `failed`: rows of chunks that failed for good (until a redrive stores them). */
  preparation?: { checked: number; total: number; failed?: { chunk: number; fromRow: number; toRow: number }[] };
  /** The registry a preparing (or dispatching) round waits for. */
  waitingFor?: { registry: string; since?: string };
  /** A scheduled release: when every gate is checked again and the round starts. */
  scheduledFor?: string;
  preflight?: import('./api-types').Preflight;
  findings?: Finding[];
  counts?: import('./format').RoundCounts;
  skipReasons?: Record<string, number>;
  createdAt?: string;
  canary?: { size: number };
  releasedBy?: string;
  releasedByName?: string;
  releasedAt?: string;
  completedAt?: string;
  receipts?: { confirmed: number; failedAfterSend: number; awaiting: number };
}

export interface ListUpload {
  listId: string;
  rows: number;
  accepted: number;
  rejected: { row: number; code: string; message: string }[];
  duplicatesInList: number;
}
