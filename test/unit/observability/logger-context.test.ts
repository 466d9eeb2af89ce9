import type { Context, SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { httpHandler, ok, route, type HttpEvent } from '../../../functions/shared/http.js';
import { logger, setLogKeys } from '../../../functions/shared/logger.js';
import { sqsHandler } from '../../../functions/shared/sqs.js';
import { lambdaContext } from '../../../local/api-server.js';
import { authEnv, createTokenIssuer } from '../../../local/token-issuer.js';

/**
 * Every log line of an invocation carries the Lambda context (function_request_id), and the keys
 * the engine sets (setLogKeys) stay on the lines of that invocation only.
 */
let out: string[] = [];
beforeEach(() => {
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    out.push(String(chunk));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());
const lines = () =>
  out
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"level"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

// Handlers trust only a verified bearer token: a local issuer's, as the local runtime configures it.
const issuer = await createTokenIssuer('https://research-dispatch.local/');
Object.assign(process.env, { RD_LOCAL: 'true', ...authEnv(issuer) });
const token = await issuer.sign({ sub: 'ops.oda', role: 'operations' });
const event = (routeKey: string): HttpEvent => ({ routeKey, headers: { authorization: `Bearer ${token}` }, requestContext: {} }) as unknown as HttpEvent;

describe('the logger in an invocation', () => {
  it('HTTP: lines carry the request id and the keys set during the invocation, and the next invocation starts clean', async () => {
    const handler = httpHandler({
      'GET /x': route({ roles: ['operations'] }, async () => {
        setLogKeys({ projectId: 'p1', roundId: 'r1', batch: 7 });
        logger.info('working');
        return ok({});
      }),
      'GET /y': route({ roles: ['operations'] }, async () => {
        logger.info('other');
        return ok({});
      }),
    });
    const c1: Context = lambdaContext('t');
    await handler(event('GET /x'), c1);
    const c2: Context = lambdaContext('t');
    await handler(event('GET /y'), c2);
    const [working, other] = [lines().find((l) => l.message === 'working')!, lines().find((l) => l.message === 'other')!];
    expect(working).toMatchObject({ function_request_id: c1.awsRequestId, function_name: 'local-t', projectId: 'p1', roundId: 'r1', batch: 7 });
    expect(other).toMatchObject({ function_request_id: c2.awsRequestId });
    expect(other).not.toHaveProperty('projectId');
  });

  it('SQS: the consumer middleware does the same', async () => {
    const handler = sqsHandler(z.object({ roundId: z.string() }), async (m) => {
      setLogKeys({ roundId: m.roundId, batch: 3 });
      logger.info('batch done');
    });
    const ctx = lambdaContext('worker');
    const ev = { Records: [{ messageId: 'm1', body: JSON.stringify({ roundId: 'r9' }), attributes: { ApproximateReceiveCount: '1' }, eventSource: 'aws:sqs' }] } as unknown as SQSEvent;
    expect(await handler(ev, ctx)).toEqual({ batchItemFailures: [] });
    expect(lines().find((l) => l.message === 'batch done')).toMatchObject({ function_request_id: ctx.awsRequestId, roundId: 'r9', batch: 3 });
    logger.info('after');
    expect(lines().find((l) => l.message === 'after')).not.toHaveProperty('roundId');
  });

  it('leaves request ids whole even where eleven of their digits would pass for an ID', async () => {
    // A real case: this request id's tail holds an 11-digit run the ID check accepts.
    const ctx = { ...lambdaContext('t'), awsRequestId: '763c6081-d894-49d2-8478-b33730340369' };
    const handler = httpHandler({ 'GET /z': route({ roles: ['operations'] }, async () => (logger.info('z'), ok({}))) });
    await handler(event('GET /z'), ctx);
    expect(lines().find((l) => l.message === 'z')).toMatchObject({ function_request_id: '763c6081-d894-49d2-8478-b33730340369' });
  });
});
