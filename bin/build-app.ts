import { readFileSync } from 'node:fs';
import { App, Validations, type AppProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StatefulStack } from '../lib/stateful-stack.js';
import { StatelessStack, type Routing } from '../lib/stateless-stack.js';
import { integrationSettings } from '../lib/integration-config.js';
import { geoSettings } from '../lib/georedundancy.js';

export const STATEFUL_STACK = 'ResearchDispatchStateful';
export const STATELESS_STACK = 'ResearchDispatchStateless';
/** Stack names of a georedundant stage: one pair per region. */
export const geoStackName = (kind: 'Stateful' | 'Stateless', region: string): string => `ResearchDispatch${kind}-${region}`;

/**
 * Builds the app; shared by bin/app.ts and the infrastructure tests so both synthesise the same
 * thing. Account and region come from context or the environment when given; otherwise the stacks
 * stay environment-agnostic, so synth needs no credentials and no network.
 */
/** Browser origins allowed to PUT a list through its presigned URL; never "*" (any page could). */
const uploadOrigins = (origins: readonly string[]): string[] => {
  for (const o of origins) {
    if (o.includes('*') || !/^https:\/\/[^/]+$/.test(o)) throw new Error(`context uploadOrigins: "${o}" is not an https origin (the console's, e.g. https://console.example.no; never "*")`);
  }
  return [...origins];
};

/** The operations signing key's public half (context opsPublicKey): a public JWK, never a private one. */
const opsPublicKey = (value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  let jwk: Record<string, unknown>;
  try {
    jwk = JSON.parse(value) as Record<string, unknown>;
  } catch {
    throw new Error('context opsPublicKey is not JSON (the public JWK printed by the operations key generation)');
  }
  if (typeof jwk.kty !== 'string' || 'd' in jwk || 'p' in jwk || 'k' in jwk) throw new Error('context opsPublicKey must be a public JWK (no private or symmetric key material)');
  return JSON.stringify(jwk);
};

export const buildApp = (props: AppProps = {}, options: { routing?: Routing } = {}) => {
  const app = new App(props);
  // Strong references (an export in use cannot be deleted) protect the data stack from a code
  // deploy that still uses a table; stated here so a CDK upgrade cannot change it silently.
  if (app.node.tryGetContext('@aws-cdk/core:defaultCrossStackReferences') === undefined) {
    app.node.setContext('@aws-cdk/core:defaultCrossStackReferences', 'strong');
  }

  // A settings file (context settingsFile, e.g. config/example-stage.json) fills in what the
  // command line and cdk.json leave out; a setting given there wins. Keys starting with "/" are comments.
  const settingsFile: unknown = app.node.tryGetContext('settingsFile');
  if (typeof settingsFile === 'string' && settingsFile !== '') {
    let settings: Record<string, unknown>;
    try {
      settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`context settingsFile: ${settingsFile} cannot be read as JSON (${(e as Error).message})`, { cause: e });
    }
    for (const [key, value] of Object.entries(settings)) {
      if (!key.startsWith('/') && app.node.tryGetContext(key) === undefined) app.node.setContext(key, value);
    }
  }

  const context = (name: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(name);
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const list = (name: string): string[] | undefined =>
    context(name)
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);

  const env = {
    account: context('account') ?? process.env.CDK_DEPLOY_ACCOUNT ?? process.env.CDK_DEFAULT_ACCOUNT,
    region: context('region') ?? process.env.CDK_DEPLOY_REGION ?? process.env.CDK_DEFAULT_REGION,
  };

  const jwtIssuer = context('jwtIssuer');
  const jwtAudience = list('jwtAudience');
  if (!jwtIssuer || !jwtAudience?.length) {
    throw new Error('context jwtIssuer and jwtAudience are required (cdk.json or -c jwtIssuer=… -c jwtAudience=…)');
  }

  // Fails synth, naming what is missing, when the national integrations are not configured.
  const integrations = integrationSettings(context);

  const uploads = uploadOrigins(list('uploadOrigins') ?? []);
  const statelessProps = {
    jwtIssuer,
    jwtAudience,
    opsPublicKey: opsPublicKey(context('opsPublicKey')),
    integrations,
    routing: options.routing,
    alarmTopicArn: context('alarmTopicArn'),
    alarmEmail: context('alarmEmail'),
    stallMinutes: context('stallMinutes') ? Number(context('stallMinutes')) : undefined,
  };

  // Georedundant stage (context georedundant=true; lib/georedundancy.ts, docs/georedundancy.md):
  // a stateful and a stateless stack in each of the two regions. Deploy order: secondary
  // stateful (its key and seal replica), home stateful (global tables, secret), both stateless.
  const geo = geoSettings(context);
  if (geo) {
    const stage = context('stage') ?? 'main';
    const statefulIn = (region: string, role: 'home' | 'secondary') =>
      new StatefulStack(app, geoStackName('Stateful', region), {
        env: { account: env.account, region },
        description: `research-dispatch: data, ${role} region of a georedundant stage (termination protected)`,
        terminationProtection: true,
        uploadOrigins: uploads,
        geo: { settings: geo, stage, role },
      });
    const secondary = statefulIn(geo.secondaryRegion, 'secondary');
    const home = statefulIn(geo.homeRegion, 'home');
    home.addStackDependency(secondary, 'the replica key (alias) and the seal replica bucket must exist first');
    const statelessIn = (region: string, role: 'home' | 'secondary', stateful: StatefulStack) => {
      const stateless = new StatelessStack(app, geoStackName('Stateless', region), {
        env: { account: env.account, region },
        description: `research-dispatch: HTTP API, Lambdas, queue consumers, alarms, ${role} region (code; safe to redeploy)`,
        data: stateful.data,
        ...statelessProps,
      });
      // The table replicas in this region are created by the home region's global tables.
      stateless.addStackDependency(home, 'global tables and their replicas');
      // Every function learns the stage's regions (home first): releases home rounds, workers
      // dispatch only rounds homed where they run (functions/shared/config.ts georedundantRegions).
      for (const c of stateless.node.findAll()) {
        if (c instanceof lambda.Function) c.addEnvironment('GEO_REGIONS', [geo.homeRegion, geo.secondaryRegion].join(','));
      }
      return { region, role, stateful, stateless };
    };
    const homeStacks = statelessIn(geo.homeRegion, 'home', home);
    const stacks = [homeStacks, statelessIn(geo.secondaryRegion, 'secondary', secondary)];
    const nag = new AwsSolutionsChecks(app, { verbose: true });
    Validations.of(app).addPlugins(nag);
    return { app, stateful: homeStacks.stateful, stateless: homeStacks.stateless, nag, regions: stacks };
  }

  const stateful = new StatefulStack(app, STATEFUL_STACK, {
    env,
    description: 'research-dispatch: tables, queues, recipient-list bucket, keys (data; termination protected)',
    terminationProtection: true,
    // The presigned URL is the credential; CORS only decides which pages may use it from a browser:
    // the console's origin, named in context. None named: no CORS rule (the CLI and curl upload).
    uploadOrigins: uploads,
  });

  const stateless = new StatelessStack(app, STATELESS_STACK, {
    env,
    description: 'research-dispatch: HTTP API, Lambdas, queue consumers, alarms (code; safe to redeploy)',
    data: stateful.data,
    ...statelessProps,
  });

  // The AwsSolutions pack runs on every synth, so a new finding fails `cdk synth` for everyone,
  // not only the infrastructure tests.
  const nag = new AwsSolutionsChecks(app, { verbose: true });
  Validations.of(app).addPlugins(nag);

  return { app, stateful, stateless, nag, regions: [{ region: env.region, role: 'home' as const, stateful, stateless }] };
};
