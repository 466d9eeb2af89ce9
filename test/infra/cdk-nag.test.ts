import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Validations, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { CfnRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { accessMatrix } from '../../lib/access-matrix.js';
import { queues, type QueueId } from '../../lib/resources.js';
import { HEALTH_ENTRY } from '../../lib/stateless-stack.js';
import { buildApp } from '../../bin/build-app.js';
import { AUDIENCE, INTEGRATIONS, ISSUER, synth } from './synth.js';

/**
 * cdk-nag 3 is a policy-validation plugin, not an Aspect: findings do not become Annotations, so
 * they are read from the pack's own report (validateScope) and from the validation report that a
 * real synth writes, which sees the prepared app (cross-stack references resolved) as `cdk synth`.
 */
const everyConsumer = {
  areas: { alpha: HEALTH_ENTRY },
  apiRoutes: [{ method: 'GET' as const, path: '/alpha', area: 'alpha' }],
  queueConsumers: Object.fromEntries(Object.keys(queues).map((id) => [id, HEALTH_ENTRY])) as Record<QueueId, string>,
  // The fixture area gets the widest staff row, so cdk-nag sees every kind of grant.
  access: { ...accessMatrix, alpha: accessMatrix.lists },
};

const findings = (report: PolicyValidationPluginReport) => report.violations.map((v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath ?? '?').join(', ')}`);

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['the real app', undefined],
    ['an app with a consumer on every queue', everyConsumer],
  ])('reports nothing unacknowledged on either stack (%s)', (_, routing) => {
    const { app, nag } = synth(routing);
    expect(findings(nag.validateScope(app))).toEqual([]);
  });

  it('reports nothing unacknowledged with an alarm topic made from alarmEmail (SNS topic, its key)', () => {
    const { app, nag } = synth(undefined, { alarmEmail: 'vakt@example.org' });
    expect(findings(nag.validateScope(app))).toEqual([]);
  });

  // The WebAssembly CloudFormation validation makes this the slowest synth (~50 s on a loaded
  // two-core machine): its own timeout, so a busy machine does not fail it.
  it('a real synth (as `cdk synth`) succeeds with an empty validation report', { timeout: 240_000 }, () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rd-cdk-'));
    try {
      const { app } = buildApp({ outdir, context: { 'aws:cdk:bundling-stacks': [], jwtIssuer: ISSUER, jwtAudience: AUDIENCE, ...INTEGRATIONS } });
      app.synth();
      const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
        pluginReports: { violations?: unknown[] }[];
      };
      expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('still catches a violation (the check is live): an unacknowledged public route fails APIG4', () => {
    const { app, nag, stacks } = synth(everyConsumer);
    new CfnRoute(stacks.stateless, 'Open', { apiId: stacks.stateless.api.api.apiId, routeKey: 'GET /open' });
    const report = nag.validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-APIG4');
  });

  it('every acknowledgement carries a written reason', () => {
    const { app } = synth(everyConsumer);
    const acks: { path: string; id: string; reason: unknown }[] = [];
    const walk = (c: IConstruct) => {
      for (const m of c.node.metadata) {
        if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(m.data as Record<string, unknown>)) acks.push({ path: c.node.path, id, reason });
      }
      c.node.children.forEach(walk);
    };
    walk(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      expect(typeof a.reason, `${a.path} ${a.id}`).toBe('string');
      const reason = a.reason as string;
      // A reason says why, in a sentence or more; "n/a", "ok" or "TODO" are not reasons.
      expect(reason.length, `${a.path} ${a.id}: "${reason}"`).toBeGreaterThanOrEqual(60);
      expect(reason, `${a.path} ${a.id}`).not.toMatch(/\b(todo|fixme|tbd)\b/i);
    }
  });
});
