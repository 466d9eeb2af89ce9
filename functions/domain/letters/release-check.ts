import type { Project } from '../projects/project.js';
import { checkLetterVersion, checkLinkStatic, externalFormLink, isLinkFinding, type CheckDeps } from './check.js';
import { linksIn } from './content.js';
import { LANGUAGES, type Finding, type LetterVersion } from './letter.js';

/**
 * What release must probe, live, for one letter version: every distinct link of every language,
 * and for a form-task letter with an external form the form's URL, exactly like a link in the
 * text (the citizen's link is that URL plus their token). A link the static rules already refuse
 * is not probed: its static finding refuses the release on its own.
 */
export const linksToProbeAtRelease = async (deps: Pick<CheckDeps, 'formTasks' | 'prober'>, project: Pick<Project, 'allowedLinkDomains'>, version: LetterVersion): Promise<string[]> => {
  const links: string[] = [];
  for (const language of LANGUAGES) {
    const c = version.content[language];
    if (c) links.push(...linksIn(c.subject), ...linksIn(c.body));
  }
  const form = await externalFormLink(deps, version);
  if (form && form !== 'missing') links.push(form);
  const out = new Set<string>();
  for (const link of links) {
    const r = checkLinkStatic({ link }, project.allowedLinkDomains, deps.prober);
    if (r.probe) out.add(r.probe);
  }
  return [...out];
};

/**
 * The findings that refuse a release: every link finding of error severity (BROKEN_LINK after a
 * live probe of each link and of the external form's URL, PLACEHOLDER_IN_LINK, domain, https,
 * personal data, malformed) and a form task that no longer exists. Pass `formTasks`: without it
 * the external form is not probed.
 */
export const releaseLinkFindings = async (deps: Required<Pick<CheckDeps, 'formTasks'>> & CheckDeps, project: Pick<Project, 'allowedLinkDomains'>, version: LetterVersion): Promise<Finding[]> =>
  (await checkLetterVersion(deps, project, version, { live: true })).filter((f) => f.severity === 'error' && (isLinkFinding(f) || f.code === 'FORM_TASK_MISSING'));
