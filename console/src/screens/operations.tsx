import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, itemsOf, seg, type Letter, type Project, type Round } from '../api';
import { formatTime, lettersInFlightLabel, maskNin, normaliseNin, opsStatusView, pauseLine, queueLabel, roundName } from '../format';
import { getLetterVersion, letterTitle, listProjects, listRounds, projectPath, roundLabels, type RoundLabel } from '../data';
import { lang, t, tk } from '../i18n';
import type { Session } from '../session';
import { FailoverPanel, type RegionStatus } from './failover';
import { ActionDialog, Count, ErrorBox, Field, Link, Notice, PageTitle, Progress, StatusBadge, useAsync, usePoll } from '../ui';

interface OpsStatus {
  halted: boolean;
  haltedAt?: string;
  haltReason?: string;
  pausedProjects: unknown;
  inFlight: number;
  queues?: Record<string, unknown>;
  failed?: number;
  regions?: RegionStatus[];
}

interface Active {
  project: Project;
  rounds: Round[];
  /** Rounds are named for people (number, letter, version, size), never by their ids. */
  labels: Map<string, RoundLabel>;
}

const ACTIVE = new Set(['dispatching', 'paused', 'canary_hold']);

const activeRounds = async (signal?: AbortSignal): Promise<Active[]> => {
  const projects = await listProjects(signal);
  const out = await Promise.all(
    projects.map(async (project) => {
      const rounds = await listRounds(project.projectId, signal).catch((e: unknown) => {
        if (e instanceof ApiError && e.status < 500) return [] as Round[];
        throw e;
      });
      const active = rounds.filter((r) => ACTIVE.has(r.status));
      return { project, rounds: active, labels: await roundLabels(project.projectId, rounds, active) };
    }),
  );
  return out.filter((a) => a.rounds.length > 0 || a.project.status === 'paused' || a.project.pausedInAnotherRegion === true);
};

interface Ack {
  at?: string;
  inFlight?: number;
  /** When the platform saw the pause hold (the answer's pauseConfirmedAt). */
  confirmedAt?: string;
  receivedAt: string;
}

const ackTime = (body: unknown, ...keys: string[]): string | undefined => {
  if (body && typeof body === 'object') for (const k of keys) if (typeof (body as Record<string, unknown>)[k] === 'string') return (body as Record<string, string>)[k];
  return undefined;
};

const queueRows = (queues: Record<string, unknown> | undefined): [string, string][] =>
  Object.entries(queues ?? {}).flatMap(([name, v]) =>
    v && typeof v === 'object'
      ? Object.entries(v as Record<string, unknown>).map(([k, n]) => [queueLabel(name, k, lang.value), String(n)] as [string, string])
      : [[queueLabel(name, '', lang.value).replace(/ · $/, ''), String(v)] as [string, string]],
  );

export const OperationsScreen = ({ session }: { session: Session }) => {
  // When the status was last read, and when a read last failed: the card claims only what the
  // latest read says (unknown while loading or after a failed poll, never a stale green banner).
  const [reads, setReads] = useState<{ okAt?: string; failedAt?: string }>({});
  const [pollError, setPollError] = useState<unknown>();
  const readStatus = async (signal?: AbortSignal) => {
    try {
      const v = await api.get<OpsStatus>('/operations/status', signal);
      setReads((r) => ({ ...r, okAt: new Date().toISOString() }));
      setPollError(undefined);
      return v;
    } catch (e) {
      if (!signal?.aborted) {
        setReads((r) => ({ ...r, failedAt: new Date().toISOString() }));
        setPollError(e);
      }
      throw e;
    }
  };
  const status = useAsync((s) => readStatus(s), []);
  const active = useAsync((s) => activeRounds(s), []);
  const [acks, setAcks] = useState<Record<string, Ack>>({});
  /** The pause's confirmation as the project says it, or as this page's own pause was answered (a read may lag behind it). */
  const confirmationOf = (p: Project): string | undefined => p.pauseConfirmedAt ?? (acks[p.projectId]?.at === p.pausedAt ? acks[p.projectId]?.confirmedAt : undefined);
  // Letters handed over since each paused project's pause was confirmed (nothing in flight any
  // more; until then since the pause itself), from delivery times (GET …/sent-since).
  const [sentSince, setSentSince] = useState<Record<string, { at: string; sent: number }>>({});
  const readSentSince = async (projects: readonly Project[]) => {
    for (const p of projects) {
      const since = confirmationOf(p) ?? p.pausedAt;
      if (p.status !== 'paused' || !since) continue;
      try {
        const res = await api.get<{ sent: number }>(`${projectPath(p.projectId)}/sent-since?at=${encodeURIComponent(since)}`);
        setSentSince((m) => ({ ...m, [p.projectId]: { at: since, sent: res.sent } }));
      } catch {
        /* the line keeps saying it is checking */
      }
    }
  };
  // Bumped when this page learns a pause from its own answer: a poll begun before it would show
  // the project and the status as they were (not paused, letters in flight), so it is not used.
  const learned = useRef(0);
  usePoll(
    async () => {
      const begun = learned.current;
      const [st, ac] = await Promise.allSettled([readStatus(), activeRounds()]);
      if (begun !== learned.current) return;
      if (st.status === 'fulfilled') status.set(st.value);
      if (ac.status === 'fulfilled') {
        active.set(ac.value);
        await readSentSince(ac.value.map((a) => a.project));
      }
    },
    2000,
    true,
  );
  const [dialog, setDialog] = useState<{ kind: 'halt' } | { kind: 'pause'; project: Project }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [dialogError, setDialogError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [haltAck, setHaltAck] = useState<Ack>();

  const pause = async (project: Project, reason: string) => {
    setBusy(true);
    setDialogError(undefined);
    try {
      const res = await api.post<Project & { inFlight?: number }>(`${projectPath(project.projectId)}/pause`, { reason });
      setAcks((a) => ({ ...a, [project.projectId]: { at: res.pausedAt, inFlight: res.inFlight, confirmedAt: res.pauseConfirmedAt, receivedAt: new Date().toISOString() } }));
      setDialog(undefined);
      // The answer is the acknowledgement: shown at once from it, not after the next read of every project.
      const { status: pausedStatus, pausedAt, pausedBy, pausedByName, pauseReason, pauseConfirmedAt } = res;
      const acknowledged = { ...project, status: pausedStatus, pausedAt, pausedBy, pausedByName, pauseReason, pauseConfirmedAt };
      learned.current++;
      if (active.data) active.set(active.data.map((a) => (a.project.projectId === project.projectId ? { ...a, project: acknowledged } : a)));
      active.reload();
      status.reload();
      void readSentSince([acknowledged]);
    } catch (e) {
      setDialogError(e);
    } finally {
      setBusy(false);
    }
  };

  const resume = async (project: Project) => {
    setError(undefined);
    try {
      await api.post(`${projectPath(project.projectId)}/resume`);
      setAcks((a) => {
        const { [project.projectId]: _, ...rest } = a;
        return rest;
      });
      setNotice(`${project.title}: ${t('resumed')}`);
      active.reload();
    } catch (e) {
      setError(e);
    }
  };

  const halt = async (reason: string) => {
    setBusy(true);
    setDialogError(undefined);
    try {
      const res = await api.post<unknown>('/operations/halt', { reason });
      setHaltAck({ at: ackTime(res, 'haltedAt', 'at', 'pausedAt'), receivedAt: new Date().toISOString() });
      setDialog(undefined);
      status.reload();
    } catch (e) {
      setDialogError(e);
    } finally {
      setBusy(false);
    }
  };

  const resumeAll = async () => {
    setError(undefined);
    try {
      await api.post('/operations/resume');
      setHaltAck(undefined);
      setNotice(t('resumedAll'));
      status.reload();
    } catch (e) {
      setError(e);
    }
  };

  const redrive = async (roundId?: string) => {
    setError(undefined);
    try {
      const res = await api.post<unknown>('/operations/redrive', roundId ? { roundId } : {});
      setNotice(`${t('redriven')}${res && typeof res === 'object' ? ` ${JSON.stringify(res)}` : ''}`);
      status.reload();
    } catch (e) {
      setError(e);
    }
  };

  const st = status.data;
  const view = opsStatusView(st, reads);
  // The banner counts a project the page shows as paused even before the status card's next read.
  const paused = itemsOf<unknown>(st?.pausedProjects ?? []);
  // A project held by a pause only the fence shows (pressed in another region) counts as paused too.
  const heldHere = (active.data ?? []).filter((a) => a.project.status === 'paused' || a.project.pausedInAnotherRegion === true).length;
  const pausedCount = Math.max(paused.length, heldHere);
  return (
    <section class="wide ops-screen">
      <PageTitle>{t('opsTitle')}</PageTitle>
      <Notice>{notice}</Notice>
      <ErrorBox error={error} />

      <section aria-labelledby="ops-status-h" class="card">
        <h2 id="ops-status-h">{t('opsStatus')}</h2>
        <ErrorBox error={pollError ?? status.error} />
        <p class={view.state === 'halted' ? 'banner-halted' : view.state === 'running' ? 'banner-ok' : 'banner-unknown'} data-testid="halt-state" aria-live="polite">
          <strong>{view.state === 'halted' ? t('halted') : view.state === 'running' ? (pausedCount > 0 ? t('notHaltedSomePaused', { n: pausedCount }) : t('notHalted')) : t('statusUnknown')}</strong>
          {view.state === 'halted' && st?.haltReason ? ` – ${st.haltReason}` : ''}
          {view.loading ? ` – ${t('statusLoading')}` : ''}
          {view.stale ? ` – ${t('statusStale')}` : ''}
        </p>
        <p class="hint" data-testid="status-updated">
          {view.lastUpdate ? t('statusUpdatedAt', { at: formatTime(view.lastUpdate, lang.value) }) : t('statusNotYetRead')}
        </p>
        {st ? (
          <>
            {haltAck ? (
              <p class="ack" data-testid="halt-ack">
                {t('haltAck', { at: formatTime(haltAck.at ?? haltAck.receivedAt, lang.value) })}
              </p>
            ) : null}
            <dl class="stats">
              <div>
                <dt>{lettersInFlightLabel(lang.value)}</dt>
                <dd>
                  <Count n={st.inFlight} />
                </dd>
              </div>
              <div>
                <dt>{t('pausedProjects')}</dt>
                <dd>{Array.isArray(st.pausedProjects) ? <Count n={pausedCount} /> : <Count n={Math.max(Number(st.pausedProjects) || 0, heldHere)} />}</dd>
              </div>
              {st.failed !== undefined ? (
                <div>
                  <dt>{t('failedTotal')}</dt>
                  <dd>
                    <Count n={st.failed} />
                  </dd>
                </div>
              ) : null}
            </dl>
            {queueRows(st.queues).length ? (
              <table class="compact">
                <caption>{t('queues')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('colQueue')}</th>
                    <th scope="col">{t('colCount')}</th>
                  </tr>
                </thead>
                <tbody>
                  {queueRows(st.queues).map(([k, v]) => (
                    <tr key={k}>
                      <th scope="row">{k}</th>
                      <td class="num">{v}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
          </>
        ) : null}
        <div class="actions">
          {/* Halting must always be possible: the button stays while the status is unknown. */}
          {view.state === 'halted' ? (
            <button type="button" class="primary" onClick={() => void resumeAll()}>
              {t('resumeAll')}
            </button>
          ) : (
            <button type="button" class="danger" onClick={() => setDialog({ kind: 'halt' })}>
              {t('haltAll')}
            </button>
          )}
          <button type="button" onClick={() => void redrive()}>
            {t('redrive')}
          </button>
        </div>
      </section>

      {st ? (
        <FailoverPanel
          regions={st.regions}
          session={session}
          roundName={(roundId) => {
            const label = active.data?.find((a) => a.labels.has(roundId))?.labels.get(roundId);
            return roundName(label ?? {}, lang.value);
          }}
        />
      ) : null}

      <section aria-labelledby="active-h">
        <h2 id="active-h">{t('activeRounds')}</h2>
        <ErrorBox error={active.error} />
        {active.data && active.data.length === 0 ? <p>{t('activeEmpty')}</p> : null}
        {active.data && active.data.length > 0 ? (
          <table>
            <thead>
              <tr>
                <th scope="col">{t('colProject')}</th>
                <th scope="col">{t('colRound')}</th>
                <th scope="col">{t('colActions')}</th>
              </tr>
            </thead>
            <tbody>
              {active.data.map(({ project, rounds, labels }) => {
                const ack = acks[project.projectId];
                const heldElsewhere = project.status !== 'paused' && project.pausedInAnotherRegion === true;
                const isPaused = project.status === 'paused' || heldElsewhere;
                // This page's own pause of the project, not yet answered: stopping, never "paused".
                const stopping = busy && dialog?.kind === 'pause' && dialog.project.projectId === project.projectId;
                const confirmedAt = confirmationOf(project);
                const since = confirmedAt ?? project.pausedAt;
                return (
                  <tr key={project.projectId} data-project={project.projectId}>
                    <th scope="row">
                      <Link to={`/projects/${seg(project.projectId)}`}>{project.title}</Link>
                      <br />
                      <StatusBadge status={project.status} /> <span class="hint">{project.organization}</span>
                    </th>
                    <td>
                      {rounds.map((r) => (
                        <div key={r.roundId} class="round-line" data-round={r.roundId}>
                          <Link to={`/projects/${seg(project.projectId)}/rounds/${seg(r.roundId)}`}>{roundName(labels.get(r.roundId) ?? {}, lang.value)}</Link>{' '}
                          <StatusBadge status={r.status} prefix="rstatus_" />
                          {r.releasedBy ? (
                            <span class="hint" data-testid="round-released-by">
                              {' '}
                              {t('roundReleasedBy', { at: formatTime(r.releasedAt, lang.value), by: r.releasedBy })}
                            </span>
                          ) : null}
                          <Progress counts={r.counts} label={`${t('progress')} ${roundName(labels.get(r.roundId) ?? {}, lang.value)}`} />
                          <span class="hint">
                            {t('c_sent')}: <Count n={r.counts?.sent} /> / <Count n={r.counts?.planned} />
                            {r.counts?.failed ? (
                              <>
                                {' '}
                                · {t('c_failed')}: <Count n={r.counts.failed} />{' '}
                                <button type="button" class="small" onClick={() => void redrive(r.roundId)}>
                                  {t('redriveRound')}
                                </button>
                              </>
                            ) : null}
                          </span>
                        </div>
                      ))}
                    </td>
                    <td>
                      {isPaused ? (
                        <>
                          <p class="ack" data-testid="pause-ack" role="status">
                            {heldElsewhere
                              ? t('pausedInAnotherRegion')
                              : stopping
                                ? pauseLine({ phase: 'stopping', inFlight: st?.inFlight }, lang.value)
                                : ack && (ack.inFlight ?? 0) > 0 && (st?.inFlight ?? ack.inFlight ?? 0) > 0
                                  ? pauseLine({ phase: 'stopping', inFlight: st?.inFlight ?? ack.inFlight }, lang.value)
                                  : pauseLine(
                                      {
                                        phase: 'paused',
                                        pausedAt: project.pausedAt ?? ack?.at,
                                        pausedBy: project.pausedBy,
                                        pausedByName: project.pausedByName,
                                        confirmedAt,
                                        sentSince: since && sentSince[project.projectId]?.at === since ? sentSince[project.projectId]!.sent : undefined,
                                      },
                                      lang.value,
                                    )}
                          </p>
                          {project.pauseReason ? (
                            <p class="hint">
                              {t('reason')}: {project.pauseReason}
                            </p>
                          ) : null}
                          <button type="button" class="primary" onClick={() => void resume(project)}>
                            {t('resume')} <span class="visually-hidden">{project.title}</span>
                          </button>
                        </>
                      ) : (
                        <button type="button" class="danger" onClick={() => setDialog({ kind: 'pause', project })}>
                          {t('pause')} <span class="visually-hidden">{project.title}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
      </section>

      <ContactLookup by={session.identity.name ?? session.identity.sub} />

      <ActionDialog
        open={dialog?.kind === 'halt'}
        title={t('haltTitle')}
        reasonLabel={t('haltReason')}
        confirmLabel={t('haltAll')}
        busy={busy}
        error={dialogError}
        onClose={() => {
          setDialog(undefined);
          setDialogError(undefined);
        }}
        onConfirm={(reason) => void halt(reason)}
      />
      <ActionDialog
        open={dialog?.kind === 'pause'}
        title={dialog?.kind === 'pause' ? t('pauseTitle', { title: dialog.project.title }) : ''}
        reasonLabel={t('pauseReason')}
        confirmLabel={t('pause')}
        busy={busy}
        error={dialogError}
        onClose={() => {
          setDialog(undefined);
          setDialogError(undefined);
        }}
        onConfirm={(reason) => {
          if (dialog?.kind === 'pause') void pause(dialog.project, reason);
        }}
      >
        {busy ? (
          <p class="ack" role="status" data-testid="pause-stopping">
            {pauseLine({ phase: 'stopping', inFlight: st?.inFlight }, lang.value)}
          </p>
        ) : null}
      </ActionDialog>
    </section>
  );
};

interface Decision {
  projectId: string;
  roundId: string;
  letterId?: string;
  version?: number;
  contentHash?: string;
  at: string;
  outcome: string;
  reason?: string;
  channel?: string;
  onBehalfOfMinor?: boolean;
  /** A letter that left, rendered again with the citizen's own fields; `exact` when its fingerprint matches what was sent. */
  letter?: { language: 'nb' | 'nn' | 'en'; subject: string; body: string; exact: boolean };
}

interface Names {
  projects: Map<string, string>;
  rounds: Map<string, { label: RoundLabel; releasedBy?: string; releasedAt?: string }>;
  letters: Map<string, string | undefined>;
}

/** Names for the decisions' projects, rounds and letters: people answer a complaint with names, not ids. */
const namesFor = async (items: readonly Decision[]): Promise<Names> => {
  const projectIds = [...new Set(items.map((d) => d.projectId))];
  const projects = new Map((await listProjects().catch(() => [] as Project[])).map((p) => [p.projectId, p.title]));
  const rounds: Names['rounds'] = new Map();
  const letters: Names['letters'] = new Map();
  await Promise.all(
    projectIds.map(async (projectId) => {
      const all = await listRounds(projectId).catch(() => [] as Round[]);
      const wanted = all.filter((r) => items.some((d) => d.roundId === r.roundId));
      const labels = await roundLabels(projectId, all, wanted);
      for (const r of wanted) rounds.set(r.roundId, { label: labels.get(r.roundId) ?? {}, releasedBy: r.releasedBy, releasedAt: r.releasedAt });
    }),
  );
  await Promise.all(items.filter((d) => d.letterId).map(async (d) => letters.set(`${d.projectId}/${d.letterId}`, await letterTitle(d.projectId, d.letterId!))));
  return { projects, rounds, letters };
};

/** The approved content's checksum, under either view of the letter. */
const ContentHash = ({ decision }: { decision: Decision }) =>
  decision.contentHash ? (
    <p class="hint">
      {t('contentHash')}: <code>{decision.contentHash}</code>
    </p>
  ) : null;

/** The letter exactly as this citizen got it (their fields filled in), and whether that is verified. */
const RenderedLetter = ({ decision, letter }: { decision: Decision; letter: NonNullable<Decision['letter']> }) => (
  <details>
    <summary>{t('showLetter')}</summary>
    <div data-testid="sent-letter" lang={letter.language} class="language">
      <p class={letter.exact ? 'ok' : 'warning-box'} data-testid="sent-letter-check">
        {letter.exact ? t('letterExact') : t('letterNotExact')}
      </p>
      <p>{t('letterChecks', { at: formatTime(decision.at, lang.value) })}</p>
      <h4>{t(`lang_${letter.language}`)}</h4>
      <p>
        <strong>{letter.subject}</strong>
      </p>
      <pre class="letter-body">{letter.body}</pre>
    </div>
    <ContentHash decision={decision} />
  </details>
);

/**
 * The exact version the citizen's letter was made from (or, when kept, the letter as sent), read
 * with the lookup's answer so that a printed answer holds the text without opening each letter.
 */
const SentLetter = ({ decision }: { decision: Decision }) => {
  const [letter, setLetter] = useState<Letter | null>();
  const { projectId, letterId, version } = decision;
  useEffect(() => {
    if (decision.letter || !letterId || !version) return;
    void getLetterVersion(projectId, letterId, version).then(
      (l) => setLetter(l ?? null),
      () => setLetter(null),
    );
  }, [decision.letter, projectId, letterId, version]);
  if (decision.letter) return <RenderedLetter decision={decision} letter={decision.letter} />;
  return (
    <details>
      <summary>{t('showLetter')}</summary>
      {letter === undefined ? (
        <p>{t('loading')}</p>
      ) : letter === null ? (
        <p class="hint">{t('letterVersionMissing')}</p>
      ) : (
        <div data-testid="sent-letter">
          {(['nb', 'nn', 'en'] as const).map((lg) =>
            letter.content[lg] ? (
              <div key={lg} lang={lg} class="language">
                <h4>{t(`lang_${lg}`)}</h4>
                <p>
                  <strong>{letter.content[lg].subject}</strong>
                </p>
                <pre class="letter-body">{letter.content[lg].body}</pre>
              </div>
            ) : null,
          )}
        </div>
      )}
      <ContentHash decision={decision} />
    </details>
  );
};

/**
 * Printing the lookup prints the answer to a complaint: only the lookup, every letter's text open,
 * under a line that says when and by whom it was taken out. The letters closed on screen are
 * closed again after printing.
 */
const usePrintedAnswer = (section: { current: HTMLElement | null }, active: boolean) => {
  useEffect(() => {
    if (!active) return;
    let opened: HTMLDetailsElement[] = [];
    const before = () => {
      document.body.classList.add('printing-lookup');
      opened = [...(section.current?.querySelectorAll('details') ?? [])].filter((d) => !d.open);
      for (const d of opened) d.open = true;
    };
    const after = () => {
      document.body.classList.remove('printing-lookup');
      for (const d of opened) d.open = false;
      opened = [];
    };
    globalThis.addEventListener('beforeprint', before);
    globalThis.addEventListener('afterprint', after);
    return () => {
      globalThis.removeEventListener('beforeprint', before);
      globalThis.removeEventListener('afterprint', after);
      after();
    };
  }, [section, active]);
};

const ContactLookup = ({ by }: { by: string }) => {
  const [typed, setTyped] = useState('');
  const [looked, setLooked] = useState<{ masked: string; items: Decision[]; names: Names; at: string }>();
  const [error, setError] = useState<unknown>();
  const [invalid, setInvalid] = useState(false);
  const section = useRef<HTMLElement>(null);
  usePrintedAnswer(section, looked !== undefined);
  return (
    <section aria-labelledby="lookup-h" class="card lookup" ref={section}>
      <h2 id="lookup-h">{t('lookupTitle')}</h2>
      <p class="no-print">{t('lookupIntro')}</p>
      <form
        class="no-print"
        onSubmit={async (e) => {
          e.preventDefault();
          const nin = normaliseNin(typed);
          if (nin.length !== 11) {
            setInvalid(true);
            return;
          }
          setInvalid(false);
          setError(undefined);
          try {
            const res = await api.post<{ items: Decision[] }>('/operations/contacts/lookup', { nin });
            // The ID leaves the screen as soon as it has been used: only the mask stays.
            setTyped('');
            const items = itemsOf<Decision>(res);
            setLooked({ masked: maskNin(nin), items, names: await namesFor(items), at: new Date().toISOString() });
          } catch (err) {
            setError(err);
          }
        }}
      >
        <Field label={t('nin')} error={invalid ? t('ninInvalid') : undefined}>
          {(p) => <input {...p} value={typed} inputMode="numeric" autocomplete="off" spellcheck={false} maxLength={13} pattern="[0-9 ]{11,13}" onInput={(e) => setTyped(e.currentTarget.value)} />}
        </Field>
        <button type="submit" class="primary">
          {t('lookup')}
        </button>
      </form>
      <ErrorBox error={error} />
      <div role="status" aria-live="polite">
        {looked ? (
          <>
            <h3 data-testid="lookup-result">{t('lookupResult', { nin: looked.masked })}</h3>
            <p class="print-only" data-testid="lookup-printed-by">
              {t('lookupPrintedBy', { at: formatTime(looked.at, lang.value), by })}
            </p>
            <button type="button" class="small no-print" onClick={() => globalThis.print()}>
              {t('printLookup')}
            </button>
            {looked.items.length === 0 ? (
              <p>{t('lookupEmpty')}</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('colAt')}</th>
                    <th scope="col">{t('colProject')}</th>
                    <th scope="col">{t('colRound')}</th>
                    <th scope="col">{t('colLetter')}</th>
                    <th scope="col">{t('colOutcome')}</th>
                    <th scope="col">{t('colReason')}</th>
                    <th scope="col">{t('colChannel')}</th>
                    <th scope="col">{t('colReleasedBy')}</th>
                  </tr>
                </thead>
                <tbody>
                  {looked.items.map((d, i) => {
                    const round = looked.names.rounds.get(d.roundId);
                    const title = d.letterId ? looked.names.letters.get(`${d.projectId}/${d.letterId}`) : undefined;
                    return (
                      <tr key={i} data-testid="lookup-row">
                        <td>{formatTime(d.at, lang.value)}</td>
                        <td>
                          <Link to={`/projects/${seg(d.projectId)}`}>{looked.names.projects.get(d.projectId) ?? t('unknownProject')}</Link>
                        </td>
                        <td>
                          <Link to={`/projects/${seg(d.projectId)}/rounds/${seg(d.roundId)}`}>{roundName(round?.label ?? {}, lang.value)}</Link>
                        </td>
                        <td>
                          {d.version ? t('letterVersionLine', { title: title ?? t('letter'), v: d.version }) : '–'}
                          {d.letterId && d.version ? <SentLetter decision={d} /> : null}
                        </td>
                        <td>{tk(`outcome_${d.outcome}`, d.outcome)}</td>
                        <td>{d.reason ? tk(`reason_${d.reason}`, d.reason) : ''}</td>
                        <td>{d.channel ? tk(`channel_${d.channel}`, d.channel) : ''}</td>
                        <td>{round?.releasedBy ? t('roundReleasedBy', { at: formatTime(round.releasedAt, lang.value), by: round.releasedBy }) : '–'}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </>
        ) : null}
      </div>
    </section>
  );
};
