import { parse as parseHost } from 'tldts';
import { ValidationError } from '../../shared/errors.js';

/**
 * A project's allowed link domains are registrable domains (`uio.no`, `example.co.uk`) or hosts
 * under one (`skjema.uio.no`), judged with the public suffix list (tldts): at least two labels,
 * never a public suffix on its own (`com`, `no`, `co.uk`, `github.io`), since "any host under
 * `no`" would make the rule meaningless. The local runtime's development hosts (127.0.0.1,
 * localhost) pass only where the link prober allows them, which it never does when deployed.
 */
export const linkDomainProblem = (domain: string, isDevHost: (host: string) => boolean = () => false): string | undefined => {
  const d = domain.trim().toLowerCase().replace(/\.$/, '');
  if (isDevHost(d)) return undefined;
  if (!d.includes('.')) return 'must have at least two labels, such as example.org';
  const p = parseHost(d, { allowPrivateDomains: true, extractHostname: false });
  if (p.isIp) return 'must be a domain name, not an address';
  if (!(p.isIcann || p.isPrivate)) return 'must end in a known public suffix, such as .no or .org';
  if (p.domain === null || p.hostname === p.publicSuffix) return 'is a public suffix, under which anyone can register; give the registrable domain, such as example.org';
  return undefined;
};

/** Normalised (lower case, no trailing dot, no repeats); 400 VALIDATION_FAILED naming each bad entry. */
export const requireRegistrableDomains = (domains: readonly string[], isDevHost?: (host: string) => boolean): string[] => {
  const problems = domains.flatMap((d, i) => {
    const why = linkDomainProblem(d, isDevHost);
    return why ? [{ field: `allowedLinkDomains.${i}`, message: why }] : [];
  });
  if (problems.length > 0) throw new ValidationError('allowedLinkDomains must be registrable domains', problems);
  return [...new Set(domains.map((d) => d.trim().toLowerCase().replace(/\.$/, '')))];
};

export const sameDomains = (a: readonly string[], b: readonly string[]): boolean => {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((d) => sa.has(d));
};
