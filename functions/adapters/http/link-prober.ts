import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isAllowedHost } from '../../domain/letters/check.js';
import type { LinkProber, ProbeResult } from '../../domain/letters/ports.js';
import { isLoopback, isPublicAddress } from './address-policy.js';
import { Limiter } from '../../domain/shared/concurrency.js';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

export interface HttpLinkProberOptions {
  /** Whole probe, all hops included. */
  readonly timeoutMs?: number;
  readonly maxRedirects?: number;
  /** Probes running at once in this process; the rest wait their turn. */
  readonly concurrency?: number;
  /**
   * The local runtime: plain http and loopback addresses are then allowed, for the development
   * allowlist only, so tests can run their own link targets. Off when deployed.
   */
  readonly local: boolean;
  readonly devHosts?: readonly string[];
  /** DNS resolution; replaceable so tests can make a name resolve to a forbidden address. */
  readonly resolve?: (host: string) => Promise<readonly ResolvedAddress[]>;
}

export const DEV_HOSTS = ['127.0.0.1', 'localhost'] as const;

class ProbeFailure extends Error {
  constructor(
    readonly reason: string,
    readonly status?: number,
  ) {
    super(reason);
  }
}

const defaultResolve = async (host: string): Promise<readonly ResolvedAddress[]> => dnsLookup(host, { all: true, verbatim: true });

/**
 * The live link prober: HEAD, then GET when HEAD does not succeed; at most `maxRedirects`
 * redirects, each hop re-validated (scheme, allowed domain, address); success is a 2xx at the
 * end. Not an SSRF hole: every hop's name is resolved first, every address it resolves to must
 * be public, and the connection is made to exactly that checked address (no second lookup that
 * a rebinding DNS server could answer differently).
 */
export class HttpLinkProber implements LinkProber {
  private readonly timeoutMs: number;
  private readonly maxRedirects: number;
  private readonly devHosts: ReadonlySet<string>;
  private readonly resolve: (host: string) => Promise<readonly ResolvedAddress[]>;
  private readonly gate: Limiter;

  constructor(private readonly opts: HttpLinkProberOptions) {
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.maxRedirects = opts.maxRedirects ?? 5;
    this.devHosts = new Set(opts.local ? (opts.devHosts ?? DEV_HOSTS) : []);
    this.resolve = opts.resolve ?? defaultResolve;
    this.gate = new Limiter(opts.concurrency ?? 8);
  }

  allowsPlainHttp(host: string): boolean {
    return this.devHosts.has(host.toLowerCase());
  }

  probe(url: string, allowedDomains: readonly string[]): Promise<ProbeResult> {
    return this.gate.run(() => this.probeNow(url, allowedDomains));
  }

  private async probeNow(url: string, allowedDomains: readonly string[]): Promise<ProbeResult> {
    const hops: string[] = [];
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      let current = url;
      for (let redirects = 0; ; redirects++) {
        hops.push(current);
        const target = this.validate(current, allowedDomains, redirects > 0);
        const address = await this.addressOf(target, controller.signal);
        let answer = await this.request(target, address, 'HEAD', controller.signal);
        if (!isRedirect(answer) && !isSuccess(answer)) answer = await this.request(target, address, 'GET', controller.signal);
        if (isSuccess(answer)) return { url, ok: true, status: answer.status, hops };
        if (!isRedirect(answer)) throw new ProbeFailure('HTTP_STATUS', answer.status);
        if (redirects >= this.maxRedirects) throw new ProbeFailure('TOO_MANY_REDIRECTS', answer.status);
        current = new URL(answer.location!, target).toString();
      }
    } catch (e) {
      if (controller.signal.aborted) return { url, ok: false, reason: 'TIMEOUT', hops };
      if (e instanceof ProbeFailure) return { url, ok: false, reason: e.reason, ...(e.status ? { status: e.status } : {}), hops };
      return { url, ok: false, reason: 'NETWORK', hops };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Scheme and domain of one hop; a redirect that leaves them is REDIRECT_NOT_ALLOWED. */
  private validate(link: string, allowedDomains: readonly string[], isRedirectHop: boolean): URL {
    const refuse = () => new ProbeFailure(isRedirectHop ? 'REDIRECT_NOT_ALLOWED' : 'LINK_NOT_ALLOWED');
    let url: URL;
    try {
      url = new URL(link);
    } catch {
      throw refuse();
    }
    const host = bareHost(url);
    const schemeOk = url.protocol === 'https:' || (url.protocol === 'http:' && this.allowsPlainHttp(host));
    if (!schemeOk || url.username !== '' || url.password !== '' || !isAllowedHost(host, allowedDomains)) throw refuse();
    return url;
  }

  private async addressOf(url: URL, signal: AbortSignal): Promise<ResolvedAddress> {
    const host = bareHost(url);
    const family = isIP(host);
    const addresses = family
      ? [{ address: host, family }]
      : await raceAbort(this.resolve(host), signal).catch((e) => {
          if (signal.aborted) throw e;
          throw new ProbeFailure('NETWORK');
        });
    // Every address must pass: a name that also resolves to an internal address is refused.
    const allowed = (a: ResolvedAddress) => isPublicAddress(a.address) || (this.devHosts.has(host) && isLoopback(a.address));
    if (addresses.length === 0) throw new ProbeFailure('NETWORK');
    if (!addresses.every(allowed)) throw new ProbeFailure('ADDRESS_NOT_ALLOWED');
    return addresses[0]!;
  }

  private request(url: URL, to: ResolvedAddress, method: 'HEAD' | 'GET', signal: AbortSignal): Promise<{ status: number; location?: string }> {
    // Connect to the checked address whatever the name would resolve to now.
    const pinned = ((_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) => {
      if (options?.all) cb(null, [{ address: to.address, family: to.family }]);
      else cb(null, to.address, to.family);
    }) as unknown as LookupFunction;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          lookup: pinned,
          agent: false,
          signal,
          headers: { 'user-agent': 'research-dispatch-link-check/1', accept: '*/*' },
        },
        (res: IncomingMessage) => {
          const location = res.headers.location;
          resolve({ status: res.statusCode ?? 0, ...(location ? { location } : {}) });
          // Only the status matters: do not download the page.
          res.destroy();
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
}

const bareHost = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
const isSuccess = (a: { status: number }) => a.status >= 200 && a.status < 300;
const isRedirect = (a: { status: number; location?: string }) => [301, 302, 303, 307, 308].includes(a.status) && a.location !== undefined;

const raceAbort = <T>(p: Promise<T>, signal: AbortSignal): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(new Error('aborted'));
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
