import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { apiRoutes } from '../functions/handlers/routes.js';
import { startEmulators } from './emulators.js';
import { startPlatform } from './platform.js';

/**
 * npm start: DynamoDB Local and the SQS/S3 emulator as local processes, then the platform on them.
 *   npm start                 state kept in .data/ (survives restarts)
 *   npm start -- --fresh      start empty (DynamoDB in memory)
 *   PORT=3001 npm start       another API port
 */
// Lambda runs nodejs22.x; locally Node 20 is supported, so the SDK's Node-version notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: { fresh: { type: 'boolean', default: false }, 'data-dir': { type: 'string', default: '.data' } },
});

const main = async () => {
  const started = Date.now();
  const dataDir = resolve(values['data-dir']);
  if (values.fresh) await rm(join(dataDir, 'dynamodb'), { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const emulators = await startEmulators({ dataDir: values.fresh ? undefined : join(dataDir, 'dynamodb'), awsApart: true });

  let stopping = false;
  let platform: Awaited<ReturnType<typeof startPlatform>> | undefined;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping…\n`);
    await platform?.stop();
    await emulators.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));
  // If whoever started us dies without passing a signal on, we are re-parented: stop then too.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown('parent exited');
  }, 1000).unref();

  try {
    platform = await startPlatform({
      dynamoEndpoint: emulators.dynamoEndpoint,
      awsEndpoint: emulators.awsEndpoint,
      namespace: 'dev',
      port: Number(process.env.PORT ?? 3000),
      stateDir: dataDir,
      // The API and console on a thread of their own: operations are answered whatever is sending.
      apiApart: { console: {} },
    });
  } catch (e) {
    await emulators.stop();
    throw e;
  }

  // What `npm run ops:halt` needs to halt this runtime without its API (ops/halt-cli.ts): the
  // handlers' configuration. Owner-only, like the hash-key file it repeats.
  await writeFile(join(dataDir, 'runtime.json'), JSON.stringify({ url: platform.url, env: platform.env }), { mode: 0o600 });

  const lines = [
    '',
    'research-dispatch is running locally',
    `  web console    ${platform.url}/console/`,
    `  API            ${platform.url}   (GET /health, POST /dev/token, ${apiRoutes.length} API routes)`,
    `  DynamoDB Local ${emulators.dynamoEndpoint}   (${values.fresh ? 'in memory, --fresh' : `data in ${join(dataDir, 'dynamodb')}`})`,
    `  SQS + S3       ${emulators.awsEndpoint}   (fauxqs)`,
    `  queue pollers  ${[...platform.pollers.keys()].join(', ') || 'none'}`,
    `  national fakes Maskinporten ${platform.fakes.maskinporten.url}, KRR ${platform.fakes.krr.url}, Folkeregisteret ${platform.fakes.folkeregisteret.url},`,
    `                 privacy ${platform.fakes.privacy.url}, ePROM ${platform.fakes.eprom.url}, Digipost ${platform.fakes.digipost.url}`,
    `  ready in ${((Date.now() - started) / 1000).toFixed(1)} s — Ctrl-C stops everything`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
};

main().catch((e: unknown) => {
  process.stderr.write(`failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
