import { join } from 'node:path';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/adapters/dynamo/keys.js';
import { dynamo } from '../../functions/shared/clients.js';
import { expectAccessible } from './axe.js';
import { approvedProject, ARTIFACTS, CHROMIUM, hasChromium, startConsole, USERS, type ConsoleRun } from './browser.js';

/**
 * Issue 25 in the console, on a georedundant stage (the local platform as eu-north-1): a pause
 * pressed in the other region after a resume given here — where that region's copy of the project
 * still showed the earlier pause — holds the project's rounds everywhere (the fence counts it),
 * while this region's copy says approved. Operations must see that hold, and lift it with one resume.
 */
describe.skipIf(!hasChromium)(`console: a pause only the fence holds (Chromium at ${CHROMIUM})`, () => {
  let run: ConsoleRun;
  let projectId = '';
  const title = 'Regionstudien';

  beforeAll(async () => {
    run = await startConsole({ env: { GEO_REGIONS: 'eu-north-1,eu-west-1' } });
    ({ projectId } = await approvedProject(run.platform, title));
    // Paused and resumed here…
    const ops = run.platform.as(USERS.operations.id);
    expect((await ops.post(`/projects/${projectId}/pause`, { reason: 'Klage' })).status).toBe(200);
    expect((await ops.post(`/projects/${projectId}/resume`, {})).status).toBe(200);
    // …then paused in eu-west-1, whose copy of the project still showed the first pause: its
    // project write changed nothing, and what reaches this region is the pause it counted in the fence.
    await dynamo().send(
      new UpdateCommand({ TableName: run.platform.env.TABLE_FENCE!, Key: keys.projectFence(projectId), UpdateExpression: 'ADD pauses :one', ExpressionAttributeValues: { ':one': 1 } }),
    );
  }, 240_000);

  afterAll(async () => {
    await run?.stop();
  });

  it('operations see the project held by a pause in another region, though it says approved here, and lift it with one resume', { timeout: 180_000 }, async () => {
    const page = await run.signIn('operations');
    await page.getByRole('heading', { level: 1, name: 'Drift' }).waitFor();
    const row = page.locator(`tr[data-project="${projectId}"]`);
    await row.waitFor();
    await expect.poll(() => row.getByTestId('pause-ack').textContent()).toBe('Pauset i en annen region – ingen brev sendes før noen gjenopptar');
    // No banner says all is normal: the project counts as paused.
    await expect.poll(() => page.getByTestId('halt-state').textContent()).toMatch(/^Utsending går for andre prosjekter; 1 prosjekt\(er\) er pauset/);
    await page.screenshot({ path: join(ARTIFACTS, 'console-georedundant-held-elsewhere.png'), fullPage: true });
    await expectAccessible(page, 'georedundant-held-elsewhere');

    const [resumed] = await Promise.all([page.waitForResponse((r) => r.url().endsWith(`/projects/${projectId}/resume`)), row.getByRole('button', { name: `Gjenoppta ${title}` }).click()]);
    expect(resumed.status()).toBe(200);
    await page.getByText(`${title}: Prosjektet er gjenopptatt.`).waitFor();
    const shown = await run.platform.as(USERS.operations.id).get(`/projects/${projectId}`);
    expect(shown.body).toMatchObject({ status: 'approved' });
    expect(shown.body.pausedInAnotherRegion).toBeUndefined();
    // No longer held, with no round active: the row leaves the page.
    await row.waitFor({ state: 'detached' });
    await page.close();
  });
});
