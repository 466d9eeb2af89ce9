import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { haltInProcess, haltViaLambda } from './direct-halt.js';
import { generateOperationsKey, OPS_KEY_FILE, readOperationsKey, type OperationsKey } from './operation-token.js';
import { writeFile } from 'node:fs/promises';

/**
 * npm run ops:halt -- --reason "…" [--actor NAME] [--key FILE] [--function-name NAME [--region R] | --data-dir .data]
 *
 * The halt is signed with the operations signing key (--key, or OPS_SIGNING_KEY_FILE; locally
 * <data-dir>/ops-signing-key.json): the function verifies it and trusts nothing else in the event.
 * With --function-name (or OPS_FUNCTION_NAME, the stack output OperationsFunctionName): invokes the
 * deployed operations Lambda with your AWS credentials. Without: halts the local runtime of
 * `npm start` (it leaves its configuration in <data-dir>/runtime.json). Exit 0 when the halt is in
 * place (200: nothing in flight, 202: in-flight sends still finishing), 1 otherwise.
 */
// As local/main.ts: the SDK's Node-version notice is not what an operator in an incident needs.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    reason: { type: 'string' },
    actor: { type: 'string' },
    'function-name': { type: 'string' },
    region: { type: 'string' },
    key: { type: 'string' },
    'new-key': { type: 'string' },
    'data-dir': { type: 'string', default: '.data' },
  },
});

const main = async (): Promise<number> => {
  // --new-key FILE: makes the operations signing key (private half to FILE, 0600, for operators
  // only) and prints the public half to deploy with: -c opsPublicKey='<it>'.
  if (values['new-key']) {
    const key = await generateOperationsKey();
    await writeFile(values['new-key'], JSON.stringify(key), { mode: 0o600, flag: 'wx' });
    process.stdout.write(`${JSON.stringify(key.publicJwk)}\n`);
    return 0;
  }
  const reason = values.reason?.trim();
  if (!reason) {
    process.stderr.write('usage: npm run ops:halt -- --reason "why" [--actor NAME] [--function-name NAME [--region R] | --data-dir .data]\n');
    return 2;
  }
  const actor = values.actor ?? `ops-cli:${userInfo().username}`;
  const functionName = values['function-name'] ?? process.env.OPS_FUNCTION_NAME;
  const dataDir = resolve(process.cwd(), values['data-dir']);
  const keyFile = values.key ?? process.env.OPS_SIGNING_KEY_FILE ?? (functionName ? undefined : join(dataDir, OPS_KEY_FILE));
  const signingKey = async (): Promise<OperationsKey | undefined> => {
    if (!keyFile) return undefined;
    try {
      return await readOperationsKey(keyFile);
    } catch {
      return undefined;
    }
  };
  let result;
  if (functionName) {
    const key = await signingKey();
    if (!key) {
      process.stderr.write('the operations signing key is needed to halt a deployed stage: --key FILE (or OPS_SIGNING_KEY_FILE)\n');
      return 1;
    }
    result = await haltViaLambda(reason, actor, key, functionName, values.region);
  } else {
    const file = join(dataDir, 'runtime.json');
    let runtime: { env: Record<string, string> };
    try {
      runtime = JSON.parse(await readFile(file, 'utf8')) as typeof runtime;
    } catch {
      process.stderr.write(`no local runtime found (${file}); is npm start running? For AWS pass --function-name.\n`);
      return 1;
    }
    const key = await signingKey();
    if (!key) {
      process.stderr.write(`no operations signing key (${keyFile ?? OPS_KEY_FILE}); pass --key FILE\n`);
      return 1;
    }
    result = await haltInProcess(reason, actor, runtime.env, key);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return result.status === 200 || result.status === 202 ? 0 : 1;
};

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`ops:halt failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
