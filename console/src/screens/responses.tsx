import { useState } from 'preact/hooks';
import { api, ApiError, itemsOf, request, seg } from '../api';
import { formatTime } from '../format';
import { projectPath } from '../data';
import { lang, t } from '../i18n';
import type { Session } from '../session';
import { ErrorBox, Link, PageTitle, useAsync } from '../ui';

interface Response {
  recipient?: string;
  recipientId?: string;
  answeredAt?: string;
  answers?: Record<string, unknown>;
  [k: string]: unknown;
}

export const ResponsesScreen = ({ projectId, formTaskId }: { session: Session; projectId: string; formTaskId: string }) => {
  const path = `${projectPath(projectId)}/form-tasks/${seg(formTaskId)}/responses`;
  const responses = useAsync(async (s) => itemsOf<Response>(await api.get(path, s)), [path]);
  const [error, setError] = useState<unknown>();

  const exportCsv = async () => {
    setError(undefined);
    try {
      const csv = await request<string>('GET', `${path}?format=csv`);
      if (typeof csv !== 'string') throw new ApiError(500, 'UNEXPECTED', 'CSV expected');
      // A Blob download: the export needs the bearer token, so a plain link cannot fetch it.
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `svar-${formTaskId}.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section>
      <p>
        <Link to={`/projects/${seg(projectId)}`}>← {t('back')}</Link>
      </p>
      <PageTitle>{t('responsesTitle')}</PageTitle>
      <ErrorBox error={responses.error ?? error} />
      <p>
        <button type="button" onClick={() => void exportCsv()}>
          {t('exportCsv')}
        </button>
      </p>
      {responses.data && responses.data.length === 0 ? <p>{t('responsesEmpty')}</p> : null}
      {responses.data && responses.data.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('colRecipient')}</th>
              <th scope="col">{t('colAt')}</th>
              <th scope="col">{t('colAnswers')}</th>
            </tr>
          </thead>
          <tbody>
            {responses.data.map((r, i) => (
              <tr key={i}>
                <th scope="row">{String(r.recipient ?? r.recipientId ?? r.pseudonym ?? i + 1)}</th>
                <td>{formatTime(r.answeredAt, lang.value)}</td>
                <td>
                  <dl class="answers">
                    {Object.entries(r.answers ?? {}).map(([q, v]) => (
                      <div key={q}>
                        <dt>{q}</dt>
                        <dd>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
                      </div>
                    ))}
                  </dl>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
};
