import { useState } from 'preact/hooks';
import { api, type Project } from '../api';
import { formatTime } from '../format';
import { listProjects } from '../data';
import { lang, t, tk } from '../i18n';
import type { Session } from '../session';
import { ErrorBox, Field, fieldError, Link, Notice, PageTitle, StatusBadge, useAsync } from '../ui';

export const ProjectTable = ({ projects, linkTo }: { projects: Project[]; linkTo: (p: Project) => string }) =>
  projects.length === 0 ? (
    <p>{t('projectsEmpty')}</p>
  ) : (
    <table>
      <thead>
        <tr>
          <th scope="col">{t('colTitle')}</th>
          <th scope="col">{t('colOrg')}</th>
          <th scope="col">{t('colPurpose')}</th>
          <th scope="col">{t('colStatus')}</th>
          <th scope="col">{t('colUpdated')}</th>
        </tr>
      </thead>
      <tbody>
        {projects.map((p) => (
          <tr key={p.projectId}>
            <th scope="row">
              <Link to={linkTo(p)}>{p.title}</Link>
            </th>
            <td>{p.organization}</td>
            <td>{tk(`purpose_${p.purpose}`, p.purpose)}</td>
            <td>
              <StatusBadge status={p.status} />
            </td>
            <td>{formatTime(p.updatedAt, lang.value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );

export const ProjectsScreen = ({ session }: { session: Session }) => {
  const projects = useAsync((s) => listProjects(s), []);
  const isResearcher = session.identity.role === 'researcher';
  const [created, setCreated] = useState<string>();
  return (
    <section>
      <PageTitle>{t('projectsTitle')}</PageTitle>
      <Notice>{created}</Notice>
      {projects.loading && !projects.data ? <p>{t('loading')}</p> : null}
      <ErrorBox error={projects.error} />
      {projects.data ? (
        <ProjectTable
          projects={[...projects.data].sort((a, b) => (b.updatedAt ?? '').localeCompare(a.updatedAt ?? ''))}
          linkTo={(p) => (session.identity.role === 'superuser' && p.status === 'in_review' ? `/review/${encodeURIComponent(p.projectId)}` : `/projects/${encodeURIComponent(p.projectId)}`)}
        />
      ) : null}
      {isResearcher ? (
        <CreateProject
          org={session.identity.org ?? ''}
          onCreated={(p) => {
            setCreated(t('projectCreated', { title: p.title }));
            projects.reload();
          }}
        />
      ) : null}
    </section>
  );
};

const CreateProject = ({ org, onCreated }: { org: string; onCreated: (p: Project) => void }) => {
  const [title, setTitle] = useState('');
  const [organization, setOrganization] = useState(org);
  const [purpose, setPurpose] = useState('research');
  const [domains, setDomains] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="card"
      aria-labelledby="new-project-h"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(undefined);
        try {
          const allowedLinkDomains = domains
            .split(/[,\s]+/)
            .map((d) => d.trim())
            .filter(Boolean);
          const p = await api.post<Project>('/projects', { title, organization, purpose, ...(allowedLinkDomains.length ? { allowedLinkDomains } : {}) });
          setTitle('');
          setDomains('');
          onCreated(p);
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="new-project-h">{t('newProject')}</h2>
      <Field label={t('projectTitle')} error={fieldError(error, 'title')}>
        {(p) => <input {...p} value={title} required maxLength={200} onInput={(e) => setTitle(e.currentTarget.value)} />}
      </Field>
      <Field label={t('organisation')} error={fieldError(error, 'organization')}>
        {(p) => <input {...p} value={organization} required onInput={(e) => setOrganization(e.currentTarget.value)} />}
      </Field>
      <Field label={t('purpose')} error={fieldError(error, 'purpose')}>
        {(p) => (
          <select {...p} value={purpose} onChange={(e) => setPurpose(e.currentTarget.value)}>
            {(['research', 'quality-register', 'health-survey'] as const).map((v) => (
              <option key={v} value={v}>
                {t(`purpose_${v}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t('allowedDomains')} hint={t('allowedDomainsHint')} error={fieldError(error, 'allowedLinkDomains')}>
        {(p) => <input {...p} value={domains} onInput={(e) => setDomains(e.currentTarget.value)} />}
      </Field>
      <ErrorBox error={error} />
      <button type="submit" class="primary" disabled={busy}>
        {t('createProject')}
      </button>
    </form>
  );
};
