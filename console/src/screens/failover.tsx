import { useState } from 'preact/hooks';
import { api, seg } from '../api';
import { formatTime } from '../format';
import { lang, t } from '../i18n';
import type { Session } from '../session';
import { ErrorBox, Field, Notice } from '../ui';

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
  requestedAt: string;
  status: 'pending' | 'executed';
  confirmedBy?: string;
  confirmedAt?: string;
  moved?: number;
}

/**
 * Failover of a georedundant stage (API.md `POST /operations/failover`, four-eyes): the regions,
 * their health and the rounds each is home of; one person asks, another confirms by the request's
 * reference. The API lists no pending requests, so the panel shows the ones asked for here and
 * says so.
 */
export const FailoverPanel = ({ regions, roundName, session }: { regions: RegionStatus[] | undefined; roundName: (roundId: string) => string; session: Session }) => {
  const [to, setTo] = useState('');
  const [roundId, setRoundId] = useState('');
  const [reason, setReason] = useState('');
  const [reference, setReference] = useState('');
  const [missing, setMissing] = useState<'reason' | 'reference'>();
  const [asked, setAsked] = useState<Failover[]>([]);
  const [done, setDone] = useState<Failover>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
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
      const f = await api.post<Failover>('/operations/failover', { to: target, ...(roundId ? { roundId } : {}), reason: reason.trim() });
      setAsked((a) => [f, ...a]);
      setReason('');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const confirm = async () => {
    setError(undefined);
    setDone(undefined);
    if (!reference.trim()) return setMissing('reference');
    setMissing(undefined);
    setBusy(true);
    try {
      const f = await api.post<Failover>(`/operations/failover/${seg(reference.trim())}/confirm`);
      setDone(f);
      setAsked((a) => a.map((x) => (x.failoverId === f.failoverId ? f : x)));
      setReference('');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

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
      <p class="hint">{t('failoverNoList')}</p>
      {asked.length ? (
        <ul data-testid="failover-asked">
          {asked.map((f) => (
            <li key={f.failoverId} data-status={f.status}>
              {f.status === 'executed'
                ? t('failoverDone', { to: f.to, n: f.moved ?? 0, by: f.confirmedBy ?? '–', at: formatTime(f.confirmedAt, lang.value) })
                : t('failoverRequested', { to: f.to, by: f.requestedBy === session.identity.sub ? (session.identity.name ?? f.requestedBy) : f.requestedBy, at: formatTime(f.requestedAt, lang.value), id: f.failoverId })}
            </li>
          ))}
        </ul>
      ) : null}

      <h3>{t('failoverConfirmTitle')}</h3>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void confirm();
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
      <Notice>{done ? t('failoverDone', { to: done.to, n: done.moved ?? 0, by: done.confirmedBy ?? '–', at: formatTime(done.confirmedAt, lang.value) }) : undefined}</Notice>
    </section>
  );
};
