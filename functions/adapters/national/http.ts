/**
 * The one way the national adapters reach the network. Outbound calls go only to the origins the
 * configuration names (a wrong or injected URL fails before any byte leaves), every call has a
 * timeout, and failures carry no URL query, body or header — so no token or national ID can end
 * up in an error message or a log line.
 */
export class OutboundNotAllowedError extends Error {
  constructor(readonly origin: string) {
    super(`outbound call to an origin that is not configured: ${origin}`);
    this.name = 'OutboundNotAllowedError';
  }
}

/** The call did not get an HTTP answer (network error, refused connection, timeout). */
export class NetworkError extends Error {
  constructor(
    readonly service: string,
    readonly timedOut: boolean,
    /**
     * Certainly nothing reached the service: the connection was refused (or could not be opened),
     * or the caller's signal was already aborted before the call. Otherwise the request may have
     * gone out and been acted on.
     */
    readonly notSent = false,
  ) {
    super(`${service}: ${timedOut ? 'timed out' : notSent ? 'not sent' : 'network error'}`);
    this.name = 'NetworkError';
  }
}

/** Error codes of a connection that was never opened: no byte of the request reached the service. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const causeCode = (e: unknown): string | undefined => {
  const cause = (e as { cause?: { code?: unknown; errors?: { code?: unknown }[] } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  // Happy-eyeballs: an AggregateError of the attempts, all refused.
  const codes = (cause?.errors ?? []).map((x) => x.code);
  return codes.length > 0 && codes.every((c) => typeof c === 'string' && NOT_CONNECTED.has(c)) ? String(codes[0]) : undefined;
};

export interface OutboundHttpOptions {
  /** Origins (scheme://host[:port]) calls may go to. */
  readonly allowedOrigins: readonly string[];
  readonly timeoutMs: number;
}

export class OutboundHttp {
  private readonly allowed: ReadonlySet<string>;

  constructor(private readonly opts: OutboundHttpOptions) {
    this.allowed = new Set(opts.allowedOrigins.map((o) => new URL(o).origin));
  }

  /**
   * Throws OutboundNotAllowedError for another origin, NetworkError when no answer came. The
   * call ends at its own timeout or when `init.signal` (the caller's deadline) aborts, whichever
   * comes first; the body is read within the same bounds by the caller.
   */
  async fetch(service: string, url: string, init: RequestInit = {}, timeoutMs = this.opts.timeoutMs): Promise<Response> {
    const origin = new URL(url).origin;
    if (!this.allowed.has(origin)) throw new OutboundNotAllowedError(origin);
    const external = init.signal ?? undefined;
    if (external?.aborted) throw new NetworkError(service, true, true);
    const signal = external ? AbortSignal.any([external, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    try {
      return await fetch(url, { ...init, redirect: 'manual', signal });
    } catch (e) {
      const name = (e as { name?: string }).name;
      const code = causeCode(e);
      throw new NetworkError(service, name === 'TimeoutError' || name === 'AbortError', code !== undefined && NOT_CONNECTED.has(code));
    }
  }
}

/** True when the answer says it is JSON (a firewall's HTML error page is not). */
export const isJson = (res: Response): boolean => /^application\/([\w.+-]*\+)?json\b/i.test(res.headers.get('content-type') ?? '');

/** Reads a JSON body, or undefined when the answer is not JSON or cannot be parsed. */
export const jsonBody = async (res: Response): Promise<unknown> => {
  const text = await res.text();
  if (!isJson(res)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

/** Seconds or an HTTP date, as Retry-After allows; undefined when absent or unreadable. */
export const retryAfterMs = (res: Response, now = Date.now()): number | undefined => {
  const v = res.headers.get('retry-after');
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
};

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};
