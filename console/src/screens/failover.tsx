import { useState } from 'preact/hooks';
import { api, seg } from '../api';
import { formatTime } from '../format';
import { lang, t } from '../i18n';
import type { Session } from '../session';
import { ErrorBox, Field, Notice, useAsync, usePoll } from '../ui';

/** `GET /operations/status`'s `regions` on a georedundant stage (absent on a single-region one). */
export interface RegionStatus {
  name: string;
  healthy: boolean;
  homeOf: string[];
}

interface Failover {
  failoverId: string;
  to: string;
  roundId?: string;
  reason: string;
  requestedBy: string;
  requestedByName?: string;
  requestedAt: string;
  status: 'pending' | 'executed';
  confirmedBy?: string;
  confirmedByName?: string;
  confirmedAt?: string;
  moved?: number;
}

/** How often the list of pending requests is read again, so a request asked for elsewhere shows up. */
const PENDING_POLL_MS = 5000;

/**
 * Failover of a georedundant stage (API.md `POST /operations/failover`, four-eyes): the regions,
 * their health and the rounds each is home of; one person asks, another confirms it from the list
 * of pending requests (`GET /operations/failovers?status=pending`), or by its reference when it is
 * not listed here yet.
 */
export const FailoverPanel = ({ regions, roundName, session }: { regions: RegionStatus[] | undefined; roundName: (roundId: string) => string; session: Session }) => {
  const [to, setTo] = useState('');
  const [roundId, setRoundId] = useState('');
  const [reason, setReason] = useState('');
  const [reference, setReference] = useState('');
  const [missing, setMissing] = useState<'reason' | 'reference'>();
  const [done, setDone] = useState<Failover>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const georedundant = regions !== undefined;
  const pending = useAsync(async (signal) => (georedundant ? (await api.get<{ items: Failover[] }>('/operations/failovers?status=pending', signal)).items : []), [georedundant]);
  usePoll(() => pending.reload(), PENDING_POLL_MS, georedundant);
  if (!regions) {
    return (
      <section aria-labelledby="failover-h" class="card" data-testid="failover">
        <h2 id="failover-h">{t('failoverTitle')}</h2>
        <p class="hint">{t('failoverSingleRegion')}</p>
      </section>
    );
  }
  const target = to || regions[0]?.name || '';
  const homed = regions.flatMap((r) => r.homeOf);

  const ask = async () => {
    setError(undefined);
    setDone(undefined);
    if (reason.trim().length < 3) return setMissing('reason');
    setMissing(undefined);
    setBusy(true);
    try {
      await api.post<Failover>('/operations/failover', { to: target, ...(roundId ? { roundId } : {}), reason: reason.trim() });
      setReason('');
      pending.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const confirm = async (failoverId: string) => {
    setError(undefined);
    setDone(undefined);
    setBusy(true);
    try {
      setDone(await api.post<Failover>(`/operations/failover/${seg(failoverId)}/confirm`));
      setReference('');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      pending.reload();
    }
  };

  const confirmByReference = async () => {
    if (!reference.trim()) return setMissing('reference');
    setMissing(undefined);
    await confirm(reference.trim());
  };

  const requester = (f: Failover) => f.requestedByName ?? (f.requestedBy === session.identity.sub ? (session.identity.name ?? f.requestedBy) : f.requestedBy);

  return (
    <section aria-labelledby="failover-h" class="card" data-testid="failover">
      <h2 id="failover-h">{t('failoverTitle')}</h2>
      <table class="compact" data-testid="regions">
        <thead>
          <tr>
            <th scope="col">{t('colRegion')}</th>
            <th scope="col">{t('colHealth')}</th>
            <th scope="col">{t('colHomeOf')}</th>
          </tr>
        </thead>
        <tbody>
          {regions.map((r) => (
            <tr key={r.name} data-region={r.name}>
              <th scope="row">{r.name}</th>
              <td class={r.healthy ? 'ok' : 'warning'}>{r.healthy ? t('regionHealthy') : t('regionUnhealthy')}</td>
              <td>{r.homeOf.length ? r.homeOf.map(roundName).join(', ') : t('regionNoRounds')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>{t('failoverIntro')}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void ask();
        }}
      >
        <Field label={t('failoverTo')}>
          {(p) => (
            <select {...p} value={target} onChange={(e) => setTo(e.currentTarget.value)}>
              {regions.map((r) => (
                <option key={r.name} value={r.name}>
                  {r.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('failoverRound')}>
          {(p) => (
            <select {...p} value={roundId} onChange={(e) => setRoundId(e.currentTarget.value)}>
              <option value="">{t('failoverAllRounds')}</option>
              {homed.map((id) => (
                <option key={id} value={id}>
                  {roundName(id)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('failoverReason')} error={missing === 'reason' ? t('failoverReasonRequired') : undefined}>
          {(p) => <textarea {...p} rows={2} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />}
        </Field>
        <button type="submit" class="danger" disabled={busy}>
          {t('failoverRequest')}
        </button>
      </form>

      <h3>{t('failoverPendingTitle')}</h3>
      <p class="hint">{t('failoverPendingHint')}</p>
      <div data-testid="failover-pending">
        <ErrorBox error={pending.error} title={t('failoverPendingError')} />
        {pending.data === undefined ? (
          pending.error ? null : (
            <p>{t('loading')}</p>
          )
        ) : pending.data.length === 0 ? (
          <p>{t('failoverNonePending')}</p>
        ) : (
          <ul>
            {pending.data.map((f, i) => (
              <li key={f.failoverId} data-failover={f.failoverId} data-status={f.status}>
                <span id={`failover-pending-${i}`}>
                  {t('failoverRequested', { to: f.to, by: requester(f), at: formatTime(f.requestedAt, lang.value), id: f.failoverId })}
                  <br />
                  {t('failoverReasonLine', { reason: f.reason })} {f.roundId ? t('failoverScopeRound', { round: roundName(f.roundId) }) : t('failoverScopeAll')}
                </span>
                <br />
                {f.requestedBy === session.identity.sub ? (
                  <span class="hint">{t('failoverOwn')}</span>
                ) : (
                  <button type="button" class="primary" disabled={busy} aria-describedby={`failover-pending-${i}`} onClick={() => void confirm(f.failoverId)}>
                    {t('failoverConfirmTo', { to: f.to })}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </div>

      <h3>{t('failoverConfirmTitle')}</h3>
      <p class="hint">{t('failoverConfirmHint')}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void confirmByReference();
        }}
      >
        <Field label={t('failoverReference')} error={missing === 'reference' ? t('failoverReferenceRequired') : undefined}>
          {(p) => <input {...p} value={reference} autocomplete="off" spellcheck={false} onInput={(e) => setReference(e.currentTarget.value)} />}
        </Field>
        <button type="submit" class="primary" disabled={busy}>
          {t('failoverConfirm')}
        </button>
      </form>
      <ErrorBox error={error} />
      <Notice>{done ? t('failoverDone', { to: done.to, n: done.moved ?? 0, by: done.confirmedByName ?? done.confirmedBy ?? '–', at: formatTime(done.confirmedAt, lang.value) }) : undefined}</Notice>
    </section>
  );
};
