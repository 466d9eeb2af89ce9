import { redactText } from '../../shared/redact.js';
import { isNationalId } from '../shared/nin.js';
import type { Project } from '../projects/project.js';
import { hostTokensIn } from '../shared/text-scan.js';
import { BODY_MAX, SUBJECT_MAX, linksIn, placeholdersIn } from './content.js';
import type { FormTask } from './form-task.js';
import { LANGUAGES, type Finding, type Language, type LetterVersion } from './letter.js';
import type { LinkProber, ProbeResult } from './ports.js';

/**
 * The automated quality check of one letter version. Pure apart from the prober: the same
 * function runs for the check endpoint, at approval and (links only) again at release.
 *
 * Link finding codes, all severity error unless noted: MALFORMED_LINK, LINK_NOT_HTTPS,
 * LINK_DOMAIN_NOT_ALLOWED, PERSONAL_DATA_IN_LINK, BROKEN_LINK, LINK_SHORTENER (warning),
 * PLACEHOLDER_IN_LINK (no part of a link may come from list data: such a link differs per
 * recipient, so it can be neither probed nor approved, and a column of IDs would end up in a third
 * party's access logs).
 */
export const LINK_FINDING_CODES = ['MALFORMED_LINK', 'LINK_NOT_HTTPS', 'LINK_DOMAIN_NOT_ALLOWED', 'PERSONAL_DATA_IN_LINK', 'BROKEN_LINK', 'LINK_SHORTENER', 'PLACEHOLDER_IN_LINK'] as const;

export const isLinkFinding = (f: Finding): boolean => (LINK_FINDING_CODES as readonly string[]).includes(f.code);

/** Placeholders the platform fills itself; `taskLink` only exists in form-task letters. */
export const PLATFORM_FIELDS = { letter: [] as string[], 'form-task': ['taskLink'] };

const SHORTENERS = new Set([
  'bit.ly',
  'tinyurl.com',
  't.co',
  'goo.gl',
  'ow.ly',
  'is.gd',
  'buff.ly',
  'rebrand.ly',
  'cutt.ly',
  'shorturl.at',
  'tiny.cc',
  'rb.gy',
  't.ly',
  'lnkd.in',
  's.id',
  'bl.ink',
  'short.io',
  'v.gd',
  'tiny.one',
  'shorte.st',
  'adf.ly',
  'qr.net',
  'x.co',
  'bitly.com',
  'urlr.me',
  'kortlink.no',
]);

/** Placeholder names that would put a national ID into a link. */
const ID_FIELD = /(^|_)(nin|fnr|dnr|ssn|pnr)($|_)|f(ø|o|oe)dsels|person(al)?(nr|nummer|number)|national_?id|birth_?number|identity_?number/i;

/** 11 digits, optionally split 6+5 as people write them, not part of a longer number. */
const ID_LIKE = /(?<!\d)\d{6}[-\s.]?\d{5}(?!\d)/g;

const safeDecode = (s: string): string => {
  let out = s;
  // Twice, for links that were percent-encoded twice; malformed escapes are left as they are.
  for (let i = 0; i < 2; i++) {
    try {
      out = decodeURIComponent(out);
    } catch {
      break;
    }
  }
  return out;
};

export const containsNationalId = (text: string): boolean => {
  for (const m of safeDecode(text).matchAll(ID_LIKE)) if (isNationalId(m[0].replace(/[-\s.]/g, ''))) return true;
  return false;
};

export const isAllowedHost = (host: string, allowed: readonly string[]): boolean => {
  const h = host.toLowerCase().replace(/\.$/, '');
  return allowed.some((d) => {
    const dom = d.toLowerCase().replace(/\.$/, '');
    return h === dom || h.endsWith(`.${dom}`);
  });
};

const hostOf = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '').toLowerCase();

interface LinkOccurrence {
  readonly link: string;
  readonly language?: Language;
}

interface StaticResult {
  readonly findings: Finding[];
  /** The URL to probe, when the link passed every static rule and can be probed as written. */
  readonly probe?: string;
}

/** Every rule that needs no network, for one link. */
export const checkLinkStatic = (occ: LinkOccurrence, allowedDomains: readonly string[], prober?: Pick<LinkProber, 'allowsPlainHttp'>): StaticResult => {
  const shown = redactText(occ.link);
  const base = { link: shown, ...(occ.language ? { language: occ.language } : {}) };
  const err = (code: string, message: string): Finding => ({ code, severity: 'error', message, ...base });
  const warn = (code: string, message: string): Finding => ({ code, severity: 'warning', message, ...base });
  const findings: Finding[] = [];

  if (/^www\./i.test(occ.link)) return { findings: [err('LINK_NOT_HTTPS', 'Write the link with https:// in front')] };

  const placeholders = placeholdersIn(occ.link);
  if (placeholders.some((p) => ID_FIELD.test(p.name))) {
    findings.push(err('PERSONAL_DATA_IN_LINK', 'A link must not carry a national ID; form tasks get an opaque token instead'));
  }
  // Parse with the placeholders filled two different ways: if the host changes, it comes from a placeholder.
  const fill = (v: string) => occ.link.replace(/\{\{[^{}]*\}\}/g, v);
  let url: URL;
  let other: URL | undefined;
  try {
    url = new URL(fill('x'));
    if (placeholders.length > 0) other = new URL(fill('y'));
  } catch {
    return { findings: [...findings, err('MALFORMED_LINK', 'The link is not a well-formed address')] };
  }
  const host = hostOf(url);
  if (url.protocol === 'http:') {
    if (!prober?.allowsPlainHttp?.(host)) findings.push(err('LINK_NOT_HTTPS', 'Links must use https'));
  } else if (url.protocol !== 'https:') {
    findings.push(err('LINK_NOT_HTTPS', 'Links must use https'));
  }
  if (url.username !== '' || url.password !== '') findings.push(err('MALFORMED_LINK', 'A link must not carry a user name or password'));
  if (other && hostOf(other) !== host) {
    findings.push(err('LINK_DOMAIN_NOT_ALLOWED', 'The address of a link must not come from a placeholder'));
  } else if (!isAllowedHost(host, allowedDomains)) {
    findings.push(err('LINK_DOMAIN_NOT_ALLOWED', "The link's domain is not among the project's allowed link domains"));
  }
  if (containsNationalId(occ.link)) {
    findings.push(err('PERSONAL_DATA_IN_LINK', 'The link contains a national ID'));
  }
  if (SHORTENERS.has(host)) findings.push(warn('LINK_SHORTENER', 'Link shorteners hide where a link goes; link to the page itself'));
  if (placeholders.length > 0) {
    findings.push(err('PLACEHOLDER_IN_LINK', 'No part of a link may come from the recipient list: such a link cannot be checked or approved'));
  }
  if (findings.some((f) => f.severity === 'error')) return { findings };
  return { findings, probe: occ.link };
};

const probeFinding = (occ: LinkOccurrence, result: ProbeResult): Finding | undefined => {
  if (result.ok) return undefined;
  const why: Record<string, string> = {
    TIMEOUT: 'did not answer in time',
    TOO_MANY_REDIRECTS: 'redirects too many times',
    REDIRECT_NOT_ALLOWED: 'redirects to an address that is not allowed',
    ADDRESS_NOT_ALLOWED: 'points to an address that is not allowed',
    HTTP_STATUS: `answered with HTTP status ${result.status ?? 'unknown'}`,
    NETWORK: 'could not be reached',
  };
  return {
    code: 'BROKEN_LINK',
    severity: 'error',
    message: `The link ${why[result.reason ?? 'NETWORK'] ?? 'did not work'}`,
    link: redactText(occ.link),
    ...(occ.language ? { language: occ.language } : {}),
    ...(result.reason ? { reason: result.reason } : {}),
    ...(result.status !== undefined ? { status: result.status } : {}),
  };
};

/**
 * A web address written without a scheme (`{{ward}}.example.no/x`) is not a link to linksIn, but
 * a reader or a linkifier follows it all the same: filled two ways, the host names differ exactly
 * when a placeholder is part of one.
 */
const placeholderMakesHost = (text: string): boolean => {
  if (!text.includes('{{')) return false;
  const fill = (v: string) => text.replace(/\{\{[^{}]*\}\}/g, v);
  const a = hostTokensIn(fill('x'));
  const b = hostTokensIn(fill('y'));
  return a.length !== b.length || a.some((h, i) => h !== b[i]);
};

export interface CheckDeps {
  readonly prober: LinkProber;
  /** When given, the external form a form-task letter carries is checked as one of its links. */
  readonly formTasks?: { getFormTask(projectId: string, formTaskId: string): Promise<FormTask | undefined> };
}

/** The external form a form-task letter carries (its URL is one of the letter's links), or 'missing'. */
// 'missing' is a sentinel the callers test for; the union spells it out although string covers it.
// eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents
export const externalFormLink = async (deps: Pick<CheckDeps, 'formTasks'>, version: Pick<LetterVersion, 'projectId' | 'kind' | 'formTaskId'>): Promise<string | 'missing' | undefined> => {
  if (version.kind !== 'form-task' || !version.formTaskId || !deps.formTasks) return undefined;
  const task = await deps.formTasks.getFormTask(version.projectId, version.formTaskId);
  if (!task) return 'missing';
  return task.form.type === 'external' ? task.form.url : undefined;
};

/**
 * All findings for a version. `live: true` probes every link now (check endpoint, approval,
 * release); `live: false` runs only the rules that need no network.
 */
export const checkLetterVersion = async (deps: CheckDeps, project: Pick<Project, 'allowedLinkDomains'>, version: LetterVersion, opts: { live: boolean }): Promise<Finding[]> => {
  const findings: Finding[] = [];
  const known = new Set([...(PLATFORM_FIELDS[version.kind] ?? []), ...(version.fields ?? [])]);
  const links: LinkOccurrence[] = [];

  if (!version.content.nb) {
    findings.push({ code: 'MISSING_LANGUAGE', severity: 'error', language: 'nb', message: 'The letter has no bokmål (nb) version, which is required' });
  }
  if (!version.content.nn) {
    findings.push({ code: 'MISSING_LANGUAGE', severity: 'warning', language: 'nn', message: 'The letter has no nynorsk (nn) version; the language act expects both written standards' });
  }
  for (const language of LANGUAGES) {
    const c = version.content[language];
    if (!c) continue;
    if ([...c.subject].length > SUBJECT_MAX) {
      findings.push({ code: 'SUBJECT_TOO_LONG', severity: 'error', language, message: `The subject is longer than ${SUBJECT_MAX} characters` });
    }
    if ([...c.body].length > BODY_MAX) {
      findings.push({ code: 'BODY_TOO_LONG', severity: 'error', language, message: `The body is longer than ${BODY_MAX} characters` });
    }
    const seen = new Set<string>();
    for (const p of [...placeholdersIn(c.subject), ...placeholdersIn(c.body)]) {
      if (p.valid && known.has(p.name)) continue;
      const key = `${p.valid}:${p.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push({
        code: 'UNKNOWN_PLACEHOLDER',
        severity: 'error',
        language,
        message: p.valid
          ? `The placeholder {{${redactText(p.name)}}} is not a declared field of this letter`
          : 'A placeholder is malformed: write {{name}} with a letter first, then letters, digits or _',
        ...(p.valid ? { placeholder: redactText(p.name) } : {}),
      });
    }
    for (const link of [...linksIn(c.subject), ...linksIn(c.body)]) links.push({ link, language });
    if (placeholderMakesHost(c.subject) || placeholderMakesHost(c.body)) {
      findings.push({
        code: 'PLACEHOLDER_IN_LINK',
        severity: 'error',
        language,
        message: 'A placeholder is part of a web address (such as {{x}}.example.no): no part of an address may come from the recipient list',
      });
    }
  }

  const form = await externalFormLink(deps, version);
  if (form === 'missing') findings.push({ code: 'FORM_TASK_MISSING', severity: 'error', message: 'The form task this letter carries does not exist' });
  else if (form) links.push({ link: form });

  const toProbe = new Map<string, LinkOccurrence[]>();
  for (const occ of links) {
    const r = checkLinkStatic(occ, project.allowedLinkDomains, deps.prober);
    findings.push(...r.findings);
    if (r.probe) toProbe.set(r.probe, [...(toProbe.get(r.probe) ?? []), occ]);
  }
  if (opts.live) {
    // One probe per distinct link; the prober bounds how many run at once.
    const results = await Promise.all([...toProbe.keys()].map(async (url) => [url, await deps.prober.probe(url, project.allowedLinkDomains)] as const));
    for (const [url, result] of results) {
      for (const occ of toProbe.get(url) ?? []) {
        const f = probeFinding(occ, result);
        if (f) findings.push(f);
      }
    }
  }
  return findings;
};
