import { useEffect, useState } from 'preact/hooks';
import { lang, setLang, t } from './i18n';
import { loadSession, saveSession, type Session } from './session';
import { LetterScreen } from './screens/letter';
import { OperationsScreen } from './screens/operations';
import { ProjectScreen } from './screens/project';
import { ProjectsScreen } from './screens/projects';
import { ResponsesScreen } from './screens/responses';
import { ReviewQueueScreen, ReviewScreen } from './screens/review';
import { RoundScreen } from './screens/round';
import { RoundReportScreen } from './screens/round-report';
import { SignIn } from './screens/sign-in';
import { StatisticsScreen } from './screens/statistics';
import { Link, match, navigate, route } from './ui';

const home = (s: Session) => (s.identity.role === 'operations' ? '/operations' : s.identity.role === 'superuser' ? '/review' : '/projects');

const Screen = ({ session }: { session: Session }) => {
  const path = route.value;
  let m: Record<string, string> | undefined;
  if ((m = match('/projects/:projectId/letters/new', path))) return <LetterScreen session={session} projectId={m.projectId!} />;
  if ((m = match('/projects/:projectId/letters/:letterId', path))) return <LetterScreen session={session} projectId={m.projectId!} letterId={m.letterId} />;
  if ((m = match('/projects/:projectId/rounds/:roundId', path))) return <RoundScreen session={session} projectId={m.projectId!} roundId={m.roundId!} />;
  if ((m = match('/projects/:projectId/rounds/:roundId/report', path))) return <RoundReportScreen projectId={m.projectId!} roundId={m.roundId!} />;
  if ((m = match('/projects/:projectId/form-tasks/:formTaskId', path))) return <ResponsesScreen session={session} projectId={m.projectId!} formTaskId={m.formTaskId!} />;
  if ((m = match('/projects/:projectId', path))) return <ProjectScreen session={session} projectId={m.projectId!} />;
  if ((m = match('/review/:projectId', path))) return <ReviewScreen session={session} projectId={m.projectId!} />;
  if (path === '/review') return <ReviewQueueScreen session={session} />;
  if (path === '/operations') return <OperationsScreen session={session} />;
  if (path === '/operations/statistics') return <StatisticsScreen session={session} />;
  return <ProjectsScreen session={session} />;
};

export const App = () => {
  const [session, setSession] = useState<Session | undefined>(loadSession());
  useEffect(() => {
    document.documentElement.lang = lang.value;
  }, [lang.value]);
  useEffect(() => {
    document.title = `${t('appName')} – ${session ? t(`role_${session.identity.role}`) : t('signInTitle')}`;
  }, [session, lang.value]);

  const id = session?.identity;
  const nav = id
    ? [
        ...(id.role !== 'operations' ? [{ to: '/projects', label: t('navProjects') }] : []),
        ...(id.role === 'superuser' ? [{ to: '/review', label: t('navReview') }] : []),
        ...(id.role === 'operations'
          ? [
              { to: '/operations', label: t('navOperations') },
              { to: '/operations/statistics', label: t('navStatistics') },
              { to: '/projects', label: t('navProjects') },
            ]
          : []),
      ]
    : [];
  const current = route.value;

  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        {t('skipToMain')}
      </a>
      <header class="top">
        <div class="brand">{t('appName')}</div>
        {nav.length ? (
          <nav aria-label={t('mainNav')}>
            <ul>
              {nav.map((n) => (
                <li key={n.to}>
                  <Link to={n.to} aria-current={current === n.to || current.startsWith(`${n.to}/`) ? 'page' : undefined}>
                    {n.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        <div class="tools">
          <button type="button" lang={lang.value === 'nb' ? 'en' : 'nb'} aria-label={t('switchLangLabel')} onClick={() => setLang(lang.value === 'nb' ? 'en' : 'nb')}>
            {t('switchLang')}
          </button>
          {id ? (
            <>
              <span class="who">{t('signedInAs', { name: id.name ?? id.sub, role: t(`role_${id.role}`), org: id.org ?? '–' })}</span>
              <button
                type="button"
                onClick={() => {
                  saveSession(undefined);
                  setSession(undefined);
                  navigate('/');
                }}
              >
                {t('signOut')}
              </button>
            </>
          ) : null}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {session ? (
          <Screen session={session} />
        ) : (
          <SignIn
            onSignedIn={(s) => {
              setSession(s);
              navigate(home(s));
            }}
          />
        )}
      </main>
    </>
  );
};
