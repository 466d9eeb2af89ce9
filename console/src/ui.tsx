import { signal } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { fieldErrorText, formatCount, progressOf, type RoundCounts } from './format';
import { errorText, lang, t, tk } from './i18n';

// ---------- routing (hash based, so the console is plain static files) ----------

const currentHash = () => (location.hash.replace(/^#/, '') || '/').split('?')[0]!;
export const route = signal(currentHash());
addEventListener('hashchange', () => {
  route.value = currentHash();
});
export const navigate = (path: string) => {
  location.hash = path;
};

/** Matches "/projects/:id" against the current route; returns the params or undefined. */
export const match = (pattern: string, path = route.value): Record<string, string> | undefined => {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) out[p[i]!.slice(1)] = decodeURIComponent(s[i]!);
    else if (p[i] !== s[i]) return undefined;
  }
  return out;
};

export const Link = ({ to, children, class: cls, 'aria-current': current }: { to: string; children: ComponentChildren; class?: string; 'aria-current'?: 'page' }) => (
  <a href={`#${to}`} class={cls} aria-current={current}>
    {children}
  </a>
);

// ---------- data ----------

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  set: (v: T) => void;
}

/** Runs `load` now and whenever `deps` change; `reload()` runs it again. */
export const useAsync = <T,>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Async<T> => {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    load(ctl.signal).then(
      (v) => {
        if (ctl.signal.aborted) return;
        setData(v);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (ctl.signal.aborted) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => ctl.abort();
    // The caller's deps decide when to load again (load itself is a new closure every render).
  }, [...deps, tick]);
  return { data, error, loading, reload: () => setTick((n) => n + 1), set: setData };
};

/** Calls `fn` every `ms` while `active`, not overlapping itself. */
export const usePoll = (fn: () => Promise<unknown> | void, ms: number, active: boolean) => {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const run = (): void => {
      Promise.resolve()
        .then(() => saved.current())
        .catch(() => {
          /* the screen shows its own errors */
        })
        .finally(() => {
          if (!stopped) timer = setTimeout(run, ms);
        });
    };
    timer = setTimeout(run, ms);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [ms, active]);
};

// ---------- presentation ----------

/** An API error, clearly: message, code, and details that are not per-field. */
export const ErrorBox = ({ error, title, labels }: { error: unknown; title?: string; labels?: Readonly<Record<string, string>> }) => {
  if (!error) return null;
  const api = error instanceof ApiError ? error : undefined;
  // Ids in the details (checklist items, …) are shown by their label when the screen knows it.
  const label = (x: unknown) => (typeof x === 'string' && labels?.[x] ? labels[x] : String(x));
  const message = api
    ? api.code === 'NETWORK'
      ? t('networkError')
      : api.noSuchEndpoint
        ? t('notYetAvailable', { code: api.code })
        : errorText(api.code, api.message)
    : error instanceof Error
      ? error.message
      : String(error);
  const fields = api?.fieldErrors() ?? {};
  const findings = api && Array.isArray(api.details) && Object.keys(fields).length === 0 ? (api.details as unknown[]) : [];
  const detailsObj = api && api.details && !Array.isArray(api.details) && typeof api.details === 'object' ? api.details : undefined;
  return (
    <div class="error" role="alert">
      <p class="error-title">
        <strong>{title ?? t('errorTitle')}:</strong> {message}
        {api && api.code !== 'NETWORK' ? (
          <span class="code">
            {' '}
            ({t('errorCode')}: <code>{api.code}</code>)
          </span>
        ) : null}
      </p>
      {Object.keys(fields).length > 0 ? (
        <ul>
          {Object.entries(fields).map(([f, m]) => (
            <li key={f} data-field={f}>
              {fieldErrorText(f, m, lang.value)}
            </li>
          ))}
        </ul>
      ) : null}
      {findings.length > 0 ? (
        <ul>
          {findings.map((f, i) => (
            <li key={i}>{describe(f)}</li>
          ))}
        </ul>
      ) : null}
      {detailsObj ? (
        <ul>
          {Object.entries(detailsObj as Record<string, unknown>).map(([k, v]) => (
            <li key={k}>
              {Array.isArray(v) && v.every((x) => typeof x === 'string') && labels ? (
                <ul>
                  {v.map((x) => (
                    <li key={String(x)}>{label(x)}</li>
                  ))}
                </ul>
              ) : (
                <>
                  <code>{k}</code>: {Array.isArray(v) ? v.map((x) => (typeof x === 'object' ? describe(x) : label(x))).join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v)}
                </>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
};

const describe = (f: unknown): string => {
  if (f && typeof f === 'object') {
    const o = f as Record<string, unknown>;
    const parts = [o.code, o.language, o.message, o.link].filter((x) => typeof x === 'string' && x);
    if (parts.length) return parts.join(' · ');
  }
  return JSON.stringify(f);
};

/** Field-level message for `name` from an ApiError's details. */
export const fieldError = (error: unknown, ...names: string[]): string | undefined => {
  if (!(error instanceof ApiError)) return undefined;
  const fields = error.fieldErrors();
  for (const n of names) {
    const hit = Object.entries(fields).find(([f]) => f === n || f.startsWith(`${n}.`));
    if (hit) return hit[1];
  }
  return undefined;
};

/** A labelled control with its hint and error wired to aria-describedby. */
export const Field = ({
  label,
  hint,
  error,
  children,
}: {
  label: string;
  hint?: string;
  error?: string;
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ComponentChildren;
}) => {
  const id = useId();
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  const described = [hint ? hintId : '', error ? errId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${error ? ' has-error' : ''}`}>
      <label for={id}>{label}</label>
      {hint ? (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {children({ id, 'aria-describedby': described, 'aria-invalid': error ? true : undefined })}
      {error ? (
        <p class="field-error" id={errId}>
          {error}
        </p>
      ) : null}
    </div>
  );
};

/** Polite live region for "saved", "released", … */
export const Notice = ({ children }: { children?: ComponentChildren }) => (
  <p class={children ? 'notice' : 'notice empty'} role="status" aria-live="polite">
    {children}
  </p>
);

export const StatusBadge = ({ status, prefix = 'status_' }: { status: string; prefix?: string }) => <span class={`badge badge-${status}`}>{tk(`${prefix}${status}`, status)}</span>;

export const Count = ({ n }: { n: number | undefined }) => <>{n === undefined ? '–' : formatCount(n, lang.value)}</>;

export const Progress = ({ counts, label }: { counts: Partial<RoundCounts> | undefined; label?: string }) => {
  // One set of figures for the bar and the text beside it, so they never disagree.
  const { done, planned, pct } = progressOf(counts);
  const text = t('progressOf', { done: formatCount(done, lang.value), planned: formatCount(planned, lang.value), pct });
  return (
    <div class="progress-wrap">
      <div class="progress" role="progressbar" aria-label={label ?? t('progress')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-valuetext={text}>
        <div class="progress-bar" style={{ width: `${pct}%` }} />
      </div>
      <span class="progress-text">{text}</span>
    </div>
  );
};

/**
 * A modal dialog (native <dialog>: focus moves in, Escape closes, focus returns to the opener).
 * With `reasonLabel` it asks for a required written reason.
 */
export const ActionDialog = ({
  open,
  title,
  children,
  reasonLabel,
  confirmLabel,
  onConfirm,
  onClose,
  busy,
  error,
  deliberate,
}: {
  open: boolean;
  title: string;
  children?: ComponentChildren;
  reasonLabel?: string;
  confirmLabel: string;
  onConfirm: (reason: string) => void;
  onClose: () => void;
  busy?: boolean;
  error?: unknown;
  /**
   * For actions that cannot be taken back (a national release): focus starts on "Cancel" and
   * Enter in a field never confirms; only pressing the confirm button itself does.
   */
  deliberate?: boolean;
}) => {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const titleId = useId();
  /**
   * Closes the caller already knows of, whose `close` event is still to come. Chromium fires
   * `close` a moment after the dialog shuts (after Escape: after `cancel`), and a key pressed in
   * between reaches the page first: an Enter on the opener then found the caller still "open" and
   * changed nothing, and the late `close` shut what it had asked for. So Escape is reported at
   * `cancel`, and a `close` event only reports a close nobody reported yet.
   */
  const knownCloses = useRef(0);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      setReason('');
      setMissing(false);
      d.showModal();
      if (deliberate) cancelRef.current?.focus();
    } else if (!open && d.open) {
      knownCloses.current++;
      d.close();
    }
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={() => {
        knownCloses.current++;
        onClose();
      }}
      onClose={() => {
        if (knownCloses.current > 0) knownCloses.current--;
        else onClose();
      }}
      class="dialog"
    >
      <form
        method="dialog"
        onKeyDown={(e) => {
          if (deliberate && e.key === 'Enter' && (e.target as HTMLElement).tagName === 'INPUT') e.preventDefault();
        }}
        onSubmit={(e) => {
          e.preventDefault();
          if (reasonLabel && !reason.trim()) {
            setMissing(true);
            return;
          }
          onConfirm(reason.trim());
        }}
      >
        <h2 id={titleId}>{title}</h2>
        {children}
        {reasonLabel ? (
          <Field label={reasonLabel} error={missing ? `${t('reason')} ${t('required')}` : fieldError(error, 'reason')}>
            {(p) => <textarea {...p} rows={3} aria-required="true" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />}
          </Field>
        ) : null}
        <ErrorBox error={error} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {confirmLabel}
          </button>
          <button type="button" ref={cancelRef} onClick={onClose}>
            {t('cancel')}
          </button>
        </div>
      </form>
    </dialog>
  );
};

/** Page heading that takes focus when the page changes, so screen readers announce it. */
export const PageTitle = ({ children }: { children: ComponentChildren }) => {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: false });
  }, [route.value]);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
};
