import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapters, rawAdapters } from '../../../functions/adapters/index.js';
import { OPERATIONS_SCOPE } from '../../../functions/domain/shared/audit.js';
import { HALT_ROUTE, haltEvent, haltInProcess } from '../../../ops/direct-halt.js';
import { handler as operationsHandler } from '../../../functions/handlers/operations/index.js';
import { lambdaContext } from '../../../local/api-server.js';
import { generateOperationsKey, OPS_KEY_FILE, signOperation } from '../../../ops/operation-token.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';

/**
 * The halt that does not depend on the public API (npm run ops:halt): with the API server
 * stopped, the command still halts dispatch — through the operations handler module, with the
 * same validation and the same audit entry as POST /operations/halt.
 */
const run = promisify(execFile);
let p: TestPlatform;
let dir: string;
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
  dir = await mkdtemp(join(tmpdir(), 'rd-ops-halt-'));
});
afterAll(async () => {
  await p?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm run ops:halt', () => {
  it('halts dispatch while the API is down, audited under the operator’s name', async () => {
    const ops = p.as({ sub: 'ops.oda', role: 'operations' });
    expect((await ops.get('/operations/status')).body).toMatchObject({ halted: false });
    await p.stop();
    await expect(fetch(`${p.url}/health`)).rejects.toThrow();

    // Refused like the route refuses it: nothing halted, a 400 with the field.
    const refused = await haltInProcess('x', 'ops-cli:test', p.env, p.opsKey);
    expect(refused).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    expect((await adapters().operations.state.read()).halted).toBe(false);

    // Signed with a key that is not the operations key, or for another route, or unsigned claims:
    // 401, nothing halted (lambda:InvokeFunction alone vouches for nothing).
    const stranger = await generateOperationsKey();
    for (const token of [await signOperation(stranger, 'ops-cli:mallory', HALT_ROUTE), await signOperation(p.opsKey, 'ops-cli:mallory', 'POST /operations/resume'), 'none']) {
      const res = await operationsHandler(haltEvent('forged', token), lambdaContext('operations'));
      expect(res.statusCode).toBe(401);
    }
    expect((await adapters().operations.state.read()).halted).toBe(false);

    // The command as an operator runs it, in its own process, against the runtime's configuration,
    // with the runtime's operations signing key (npm start keeps it in its data directory).
    await writeFile(join(dir, 'runtime.json'), JSON.stringify({ url: p.url, env: p.env }), { mode: 0o600 });
    await writeFile(join(dir, OPS_KEY_FILE), JSON.stringify(p.opsKey), { mode: 0o600 });
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'ops/halt-cli.ts', '--reason', 'API flooded: stop all sends', '--actor', 'ops-cli:oda', '--data-dir', dir], {
      cwd: join(import.meta.dirname, '..', '..', '..'),
      env: { ...process.env, RD_TEST_LOGS: '' },
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ status: 200, body: { halted: true, inFlight: 0 } });

    const state = await adapters().operations.state.read();
    expect(state).toMatchObject({ halted: true, reason: 'API flooded: stop all sends', by: 'ops-cli:oda' });
    const audit = await rawAdapters().audit.list(OPERATIONS_SCOPE);
    expect(audit.filter((e) => e.action === 'dispatch.halted')).toEqual([expect.objectContaining({ actor: 'ops-cli:oda', role: 'operations', details: { reason: 'API flooded: stop all sends' } })]);
  });

  it('without a runtime or a function name, says so and exits non-zero', async () => {
    const failed = await run(process.execPath, ['--import', 'tsx', 'ops/halt-cli.ts', '--reason', 'test', '--data-dir', join(dir, 'nothing-here')], {
      cwd: join(import.meta.dirname, '..', '..', '..'),
    }).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain('no local runtime found');
  });
});
