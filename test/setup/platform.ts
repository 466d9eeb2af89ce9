import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { startPlatform, type Platform, type PlatformOptions } from '../../local/platform.js';
import type { Role } from '../../functions/shared/principal.js';

/**
 * Starts the whole platform for one test file on the run's emulators, in a namespace of its own
 * (its own tables and queues), and gives a small HTTP client that speaks the API as users would.
 */
export interface TestPlatform extends Platform {
  token(identity: Identity): Promise<string>;
  as(identity: Identity): ApiClient;
}

export interface Identity {
  readonly sub: string;
  readonly role: Role;
  readonly org?: string;
  readonly name?: string;
}

export interface ApiResponse<T = any> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
  readonly headers: Headers;
}

export interface ApiClient {
  get<T = any>(path: string): Promise<ApiResponse<T>>;
  post<T = any>(path: string, body?: unknown, contentType?: string): Promise<ApiResponse<T>>;
  put<T = any>(path: string, body?: unknown, contentType?: string): Promise<ApiResponse<T>>;
  delete<T = any>(path: string): Promise<ApiResponse<T>>;
}

export const request = async (url: string, init: RequestInit): Promise<ApiResponse> => {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) body = JSON.parse(text);
  return { status: res.status, body, text, headers: res.headers };
};

export const clientFor = (baseUrl: string, token: () => Promise<string> | string): ApiClient => {
  const call = async (method: string, path: string, body?: unknown, contentType?: string) => {
    const headers: Record<string, string> = { authorization: `Bearer ${await token()}` };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] = contentType ?? 'application/json';
    }
    return request(`${baseUrl}${path}`, { method, headers, body: payload });
  };
  return {
    get: (p) => call('GET', p),
    post: (p, b, c) => call('POST', p, b, c),
    put: (p, b, c) => call('PUT', p, b, c),
    delete: (p) => call('DELETE', p),
  };
};

export const startTestPlatform = async (opts: Partial<PlatformOptions> = {}): Promise<TestPlatform> => {
  const emulators = inject('emulators');
  const platform = await startPlatform({
    dynamoEndpoint: emulators.dynamoEndpoint,
    awsEndpoint: emulators.awsEndpoint,
    namespace: `t${randomBytes(4).toString('hex')}`,
    port: 0,
    ...opts,
    // The national-service fakes share one event loop with the platform and with whatever load a
    // test puts on it, on a 2-core machine running two test files at once: a bulk lookup can take
    // longer than the deployed timeouts allow a real registry. Tests are not about that speed (the
    // benchmarks are), so registry calls get more time here; outages are still immediate. The same
    // for channel calls: a call cut off by its wave's deadline is in doubt for ePROM, and the tests
    // that want one say so with a fault of their own.
    env: { NATIONAL_HTTP_TIMEOUT_MS: '30000', REGISTRY_TIMEOUT_MS: '40000', CHANNEL_TIMEOUT_MS: '20000', ...opts.env },
  });
  const tokens = new Map<string, Promise<string>>();
  const token = (id: Identity) => {
    const key = JSON.stringify(id);
    let t = tokens.get(key);
    if (!t) tokens.set(key, (t = platform.issuer.sign({ ...id })));
    return t;
  };
  return { ...platform, token, as: (id) => clientFor(platform.url, () => token(id)) };
};
