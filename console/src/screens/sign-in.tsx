import { useState } from 'preact/hooks';
import { request } from '../api';
import { t } from '../i18n';
import { saveSession, type Identity, type Role, type Session } from '../session';
import { ErrorBox, Field, fieldError, PageTitle } from '../ui';

const PRESETS: Identity[] = [
  { sub: 'kari.forsker', role: 'researcher', org: 'helse-vest', name: 'Kari Forsker' },
  { sub: 'sara.superbruker', role: 'superuser', org: 'helse-vest', name: 'Sara Superbruker' },
  { sub: 'ola.drift', role: 'operations', name: 'Ola Drift' },
];

export const SignIn = ({ onSignedIn }: { onSignedIn: (s: Session) => void }) => {
  const [role, setRole] = useState<Role>('researcher');
  const [org, setOrg] = useState('helse-vest');
  const [sub, setSub] = useState('kari.forsker');
  const [name, setName] = useState('Kari Forsker');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const signIn = async (id: Identity) => {
    setBusy(true);
    setError(undefined);
    try {
      const body: Record<string, string> = { sub: id.sub, role: id.role };
      if (id.org) body.org = id.org;
      if (id.name) body.name = id.name;
      const { token } = await request<{ token: string }>('POST', '/dev/token', { body, token: '' });
      const session = { token, identity: { ...id, org: id.org || undefined } };
      saveSession(session);
      onSignedIn(session);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="narrow">
      <PageTitle>{t('signInTitle')}</PageTitle>
      <p>{t('signInIntro')}</p>
      <h2>{t('signInPresets')}</h2>
      <ul class="presets">
        {PRESETS.map((p) => (
          <li key={p.sub}>
            <button type="button" disabled={busy} onClick={() => void signIn(p)}>
              {p.name} – {t(`role_${p.role}`)}
              {p.org ? `, ${p.org}` : ''}
            </button>
          </li>
        ))}
      </ul>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void signIn({ sub: sub.trim(), role, org: org.trim() || undefined, name: name.trim() || undefined });
        }}
      >
        <Field label={t('role')} error={fieldError(error, 'role')}>
          {(p) => (
            <select {...p} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
              {(['researcher', 'superuser', 'operations'] as const).map((r) => (
                <option key={r} value={r}>
                  {t(`role_${r}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('organisation')} hint={t('organisationHint')} error={fieldError(error, 'org')}>
          {(p) => <input {...p} value={org} onInput={(e) => setOrg(e.currentTarget.value)} autocomplete="organization" />}
        </Field>
        <Field label={t('subject')} error={fieldError(error, 'sub')}>
          {(p) => <input {...p} value={sub} required onInput={(e) => setSub(e.currentTarget.value)} autocomplete="username" />}
        </Field>
        <Field label={t('displayName')} error={fieldError(error, 'name')}>
          {(p) => <input {...p} value={name} onInput={(e) => setName(e.currentTarget.value)} autocomplete="name" />}
        </Field>
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {t('signIn')}
        </button>
      </form>
    </section>
  );
};
