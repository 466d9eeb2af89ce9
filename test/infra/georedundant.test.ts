import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { geoStackName } from '../../bin/build-app.js';
import { GEO_DEFAULTS } from '../../lib/georedundancy.js';
import { physicalName, tables } from '../../lib/resources.js';
import { resourcesOf, synth } from './synth.js';

const ACCOUNT = '111111111111';
const geoSynth = (extra: Record<string, string> = {}) => synth(undefined, { georedundant: 'true', account: ACCOUNT, stage: 'prod', ...extra });
const findings = (report: PolicyValidationPluginReport) => report.violations.map((v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath ?? '?').join(', ')}`);

describe('georedundant deployment (issue 25)', () => {
  const built = geoSynth();
  const { homeRegion: HOME, secondaryRegion: SECOND, witnessRegion: WITNESS } = GEO_DEFAULTS;
  const stack = (kind: 'Stateful' | 'Stateless', region: string) => {
    const s = built.app.node.findChild(geoStackName(kind, region)) as import('aws-cdk-lib').Stack;
    return { stack: s, template: Template.fromStack(s) };
  };

  it('has a stateful and a stateless stack in each region, each in its region', () => {
    for (const region of [HOME, SECOND]) {
      for (const kind of ['Stateful', 'Stateless'] as const) expect(stack(kind, region).stack.region).toBe(region);
    }
    expect(built.regions.map((r) => [r.region, r.role])).toEqual([
      [HOME, 'home'],
      [SECOND, 'secondary'],
    ]);
  });

  it('strong tables are MRSC with a witness and no TTL; eventual ones are MREC replicas that keep theirs', () => {
    const globals = resourcesOf(stack('Stateful', HOME).template, 'AWS::DynamoDB::GlobalTable');
    expect(globals).toHaveLength(Object.keys(tables).length);
    for (const def of Object.values(tables)) {
      const found = globals.find(([, p]) => p.TableName === physicalName('prod', def.id));
      expect(found, def.id).toBeDefined();
      const p = found![1];
      const replicas = (p.Replicas as { Region: string; SSESpecification?: { KMSMasterKeyId?: unknown } }[]).map((r) => r.Region).sort();
      expect(replicas, def.id).toEqual([HOME, SECOND].sort());
      if (def.multiRegion === 'strong') {
        expect(p.MultiRegionConsistency, def.id).toBe('STRONG');
        expect(p.GlobalTableWitnesses, def.id).toEqual([{ Region: WITNESS }]);
        expect(p.TimeToLiveSpecification, def.id).toBeUndefined();
      } else {
        expect(p.MultiRegionConsistency ?? 'EVENTUAL', def.id).toBe('EVENTUAL');
        expect(p.GlobalTableWitnesses, def.id).toBeUndefined();
        if (def.ttlAttribute) expect(p.TimeToLiveSpecification, def.id).toEqual({ AttributeName: def.ttlAttribute, Enabled: true });
      }
      expect(JSON.stringify(p.SSESpecification), def.id).toContain('KMS');
    }
    // The fence alone is MRSC (a failover cannot split the rounds' homes); the tables transacted on
    // (release, prepare, commit) stay MREC (the IAM contract test checks no transacted table is MRSC; docs/georedundancy.md).
    expect(
      Object.values(tables)
        .filter((t) => t.multiRegion === 'strong')
        .map((t) => t.id),
    ).toEqual(['fence']);
  });

  it('each replica is encrypted with its own region key; each region has its own key under the shared alias', () => {
    const globals = resourcesOf(stack('Stateful', HOME).template, 'AWS::DynamoDB::GlobalTable');
    const second = (globals[0]![1].Replicas as { Region: string; SSESpecification?: { KMSMasterKeyId?: unknown } }[]).find((r) => r.Region === SECOND)!;
    expect(JSON.stringify(second.SSESpecification?.KMSMasterKeyId)).toContain(`kms:${SECOND}:${ACCOUNT}:alias/research-dispatch/data`);
    for (const region of [HOME, SECOND]) {
      const aliases = resourcesOf(stack('Stateful', region).template, 'AWS::KMS::Alias').map(([, p]) => p.AliasName);
      expect(aliases, region).toContain('alias/research-dispatch/data');
    }
  });

  it('the hash-key secret is replicated to the secondary region under a fixed name the secondary grants on', () => {
    const [[, secret]] = resourcesOf(stack('Stateful', HOME).template, 'AWS::SecretsManager::Secret') as [[string, Record<string, unknown>]];
    expect(secret.Name).toBe('research-dispatch/prod/citizen-hash-key');
    expect((secret.ReplicaRegions as { Region: string }[]).map((r) => r.Region)).toEqual([SECOND]);
    expect(resourcesOf(stack('Stateful', SECOND).template, 'AWS::SecretsManager::Secret')).toEqual([]);
    const policies = JSON.stringify(stack('Stateless', SECOND).template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(`secret:research-dispatch/prod/citizen-hash-key-??????`);
  });

  it('the seal bucket replicates to an Object Lock bucket in the secondary region', () => {
    const seal = (region: string) => resourcesOf(stack('Stateful', region).template, 'AWS::S3::Bucket').find(([, p]) => p.ObjectLockEnabled === true)!;
    const [, home] = seal(HOME);
    const rules = (home.ReplicationConfiguration as { Rules: { Destination: { Bucket: unknown }; Status: string }[] }).Rules;
    expect(rules).toHaveLength(1);
    // Names carry the account as {Ref: AWS::AccountId}: "research-dispatch-audit-seals-", account, "-<region>".
    const named = (v: unknown) => JSON.stringify(v).replace(/",\{"Ref":"AWS::AccountId"\},"/g, '<account>');
    expect(named(rules[0]!.Destination.Bucket)).toContain(`research-dispatch-audit-seals-<account>-${SECOND}`);
    const [, replica] = seal(SECOND);
    // Named with {Ref: AWS::Region}, which is the secondary region in its stack.
    expect(named(replica.BucketName)).toContain(`research-dispatch-audit-seals-<account>-",{"Ref":"AWS::Region"}`);
    expect(stack('Stateful', SECOND).stack.region).toBe(SECOND);
    expect(JSON.stringify(replica.ObjectLockConfiguration)).toContain('COMPLIANCE');
  });

  it('each region has its own queues and consumers; the secondary reaches the replicas by name', () => {
    for (const region of [HOME, SECOND]) {
      expect(resourcesOf(stack('Stateful', region).template, 'AWS::SQS::Queue').length, region).toBeGreaterThanOrEqual(2);
      expect(resourcesOf(stack('Stateless', region).template, 'AWS::Lambda::EventSourceMapping').length, region).toBeGreaterThan(0);
    }
    const envs = resourcesOf(stack('Stateless', SECOND).template, 'AWS::Lambda::Function').map(([, p]) => (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
    expect(envs.some((v) => v.TABLE_MAIN === physicalName('prod', 'main'))).toBe(true);
  });

  it('every function in both regions knows the stage’s regions, home first (workers dispatch only rounds homed where they run)', () => {
    for (const region of [HOME, SECOND]) {
      const fns = resourcesOf(stack('Stateless', region).template, 'AWS::Lambda::Function').filter(([, p]) => p.Handler !== 'index.handler' || p.Environment);
      expect(fns.length, region).toBeGreaterThan(0);
      for (const [id, p] of fns) {
        expect((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.GEO_REGIONS, `${region} ${id}`).toBe(`${HOME},${SECOND}`);
      }
    }
    const single = synth();
    const singleEnvs = resourcesOf(single.stateless, 'AWS::Lambda::Function').map(([, p]) => JSON.stringify(p.Environment ?? {}));
    expect(singleEnvs.some((e) => e.includes('GEO_REGIONS'))).toBe(false);
  });

  it('passes cdk-nag on all four stacks', () => {
    expect(findings(built.nag.validateScope(built.app))).toEqual([]);
  });

  it('regions are configurable and must be in the EU MRSC set (Stockholm is not)', () => {
    const other = geoSynth({ homeRegion: 'eu-west-2', secondaryRegion: 'eu-central-1', witnessRegion: 'eu-west-1' });
    expect(other.regions.map((r) => r.region)).toEqual(['eu-west-2', 'eu-central-1']);
    expect(() => geoSynth({ homeRegion: 'eu-north-1' })).toThrow(/eu-north-1 is not in the EU MRSC region set/);
    expect(() => geoSynth({ witnessRegion: HOME })).toThrow(/must differ/);
  });

  it('single-region stays the default: no global tables, the two fixed stacks', () => {
    const single = synth();
    expect(resourcesOf(single.stateful, 'AWS::DynamoDB::GlobalTable')).toEqual([]);
    expect(single.regions).toHaveLength(1);
  });
});
