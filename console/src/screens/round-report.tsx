import { useState } from 'preact/hooks';
import { api, seg } from '../api';
import { actorLabel, auditSentence, formatCount, formatTime, roundName, roundNumbers, type RoundCounts } from '../format';
import { getLetter, getProject, getRound, listRounds, projectPath } from '../data';
import { lang, t } from '../i18n';
import { ErrorBox, Link, PageTitle, StatusBadge, useAsync } from '../ui';
import { CountsTable, downloadRoundCsv } from './round';

/** GET …/rounds/{roundId}/report: the round's record for the product board (API.md, docs/api-additions.md). */
interface RoundReport {
  status: string;
  letterId: string;
  letterVersion: number;
  counts: RoundCounts;
  skipReasons?: Record<string, number>;
  releasedBy: string | null;
  releasedByName?: string | null;
  releasedAt: string | null;
  completedAt: string | null;
  approvals: { by: string; byName?: string; at: string; version: number; contentHash: string }[];
  decisions: { action: string; by: string; byName?: string; at: string; reason?: string }[];
  auditHead: string | null;
  findings: { code: string; version: number }[];
}

/**
 * The round's report as a page people read and print: what was sent (the version and who approved
 * it, by its content hash), who released it and when, every pause and resume while it was out, how
 * long it took, the counts and the channels' receipts, the audit head it is anchored to, and the
 * per-recipient CSV (pseudonyms only).
 */
export const RoundReportScreen = ({ projectId, roundId }: { projectId: string; roundId: string }) => {
  const report = useAsync((s) => api.get<RoundReport>(`${projectPath(projectId)}/rounds/${seg(roundId)}/report`, s), [projectId, roundId]);
  const round = useAsync((s) => getRound(projectId, roundId, s), [projectId, roundId]);
  const project = useAsync((s) => getProject(projectId, s), [projectId]);
  const siblings = useAsync((s) => listRounds(projectId, s), [projectId]);
  const letterId = report.data?.letterId;
  const letter = useAsync((s) => (letterId ? getLetter(projectId, letterId, s) : Promise.resolve(undefined)), [projectId, letterId]);
  const [error, setError] = useState<unknown>();
  const r = report.data;
  const name = roundName(
    { number: siblings.data ? roundNumbers(siblings.data).get(roundId) : undefined, letterTitle: letter.data?.title, version: r?.letterVersion, recipients: r?.counts.planned },
    lang.value,
  );
  const receipts = round.data?.receipts;
  const minutes = r?.releasedAt && r.completedAt ? Math.max(0, Math.round((Date.parse(r.completedAt) - Date.parse(r.releasedAt)) / 60_000)) : undefined;
  return (
    <section>
      <p>
        <Link to={`/projects/${seg(projectId)}/rounds/${seg(roundId)}`}>← {name}</Link>
      </p>
      <PageTitle>{t('reportTitle', { round: name })}</PageTitle>
      <ErrorBox error={report.error} />
      {r ? (
        <>
          <div class="summary">
            <span>
              {t('colProject')}: {project.data?.title ?? '…'}
            </span>
            <span>
              {t('colStatus')}: <StatusBadge status={r.status} prefix="rstatus_" />
            </span>
            <span>
              {t('letter')}: {letter.data?.title ?? '…'} (v{r.letterVersion})
            </span>
          </div>

          <section aria-labelledby="rr-sent-h">
            <h2 id="rr-sent-h">{t('reportSending')}</h2>
            <p data-testid="report-released">
              {r.releasedAt
                ? t('releasedByLine', { at: formatTime(r.releasedAt, lang.value), by: actorLabel(r.releasedBy ?? '–', lang.value, r.releasedByName ?? undefined) })
                : t('reportNotReleased')}
              {r.completedAt && minutes !== undefined ? ` ${t('completedAtLine', { at: formatTime(r.completedAt, lang.value), min: formatCount(minutes, lang.value) })}` : ''}
            </p>
            {receipts ? (
              <p data-testid="report-receipts">
                {t('receiptsLine', {
                  confirmed: formatCount(receipts.confirmed, lang.value),
                  awaiting: formatCount(receipts.awaiting, lang.value),
                  failed: formatCount(receipts.failedAfterSend, lang.value),
                })}
              </p>
            ) : null}
            <CountsTable counts={r.counts} skipReasons={r.skipReasons} />
          </section>

          <section aria-labelledby="rr-approval-h">
            <h2 id="rr-approval-h">{t('reportApprovals')}</h2>
            {r.approvals.length ? (
              <ul data-testid="report-approvals">
                {r.approvals.map((a) => (
                  <li key={`${a.by}-${a.at}`}>
                    {t('reportApprovalLine', { v: a.version, by: actorLabel(a.by, lang.value, a.byName), at: formatTime(a.at, lang.value) })} {t('contentHash')}:{' '}
                    <code class="wrap">{a.contentHash}</code>
                  </li>
                ))}
              </ul>
            ) : (
              <p class="warning-box">{t('reportNoApproval')}</p>
            )}
            {r.findings.length ? (
              <ul class="findings" data-testid="report-findings">
                {r.findings.map((f) => (
                  <li key={f.code} class="finding finding-error" data-code={f.code}>
                    {t(f.code === 'APPROVAL_CONTENT_MISMATCH' ? 'reportFindingMismatch' : f.code === 'APPROVAL_NOT_IN_AUDIT' ? 'reportFindingNotInAudit' : 'reportFindingNoVersion', { v: f.version })}
                  </li>
                ))}
              </ul>
            ) : null}
          </section>

          <section aria-labelledby="rr-decisions-h">
            <h2 id="rr-decisions-h">{t('reportDecisions')}</h2>
            {r.decisions.length ? (
              <table data-testid="report-decisions">
                <thead>
                  <tr>
                    <th scope="col">{t('colAt')}</th>
                    <th scope="col">{t('colActor')}</th>
                    <th scope="col">{t('colAction')}</th>
                  </tr>
                </thead>
                <tbody>
                  {r.decisions.map((d) => (
                    <tr key={`${d.action}-${d.at}`} data-action={d.action}>
                      <td>{formatTime(d.at, lang.value)}</td>
                      <td>{actorLabel(d.by, lang.value, d.byName)}</td>
                      <td>{auditSentence({ action: d.action, details: d.reason ? { reason: d.reason } : {} }, lang.value)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p>{t('reportNoDecisions')}</p>
            )}
          </section>

          <section aria-labelledby="rr-audit-h">
            <h2 id="rr-audit-h">{t('reportAudit')}</h2>
            <p data-testid="report-audit-head">
              {r.auditHead ? (
                <>
                  {t(r.completedAt ? 'reportAuditHeadSealed' : 'reportAuditHeadSoFar')} <code class="wrap">{r.auditHead}</code>
                </>
              ) : (
                t('reportNoAudit')
              )}
            </p>
          </section>

          <ErrorBox error={error} />
          <div class="actions no-print">
            <button
              type="button"
              onClick={() => {
                setError(undefined);
                downloadRoundCsv(projectId, roundId).catch(setError);
              }}
              data-testid="report-csv"
            >
              {t('reportCsv')}
            </button>
            <button type="button" onClick={() => globalThis.print()}>
              {t('printLookup')}
            </button>
          </div>
        </>
      ) : report.loading ? (
        <p>{t('loading')}</p>
      ) : null}
    </section>
  );
};
