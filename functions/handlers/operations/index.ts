import { z } from 'zod';
import { adapters } from '../../adapters/index.js';
import { dispatchAdapters, dispatchUseCaseDeps } from '../../adapters/dispatch.js';
import { SqsQueueAdmin } from '../../adapters/sqs/queue-admin.js';
import { halt, resumeAll } from '../../domain/dispatch/use-cases.js';
import { citizenKey } from '../../domain/shared/citizen-key.js';
import { auditEvent, OPERATIONS_SCOPE } from '../../domain/shared/audit.js';
import { sqs } from '../../shared/clients.js';
import { config } from '../../shared/config.js';
import { NotFoundError } from '../../shared/errors.js';
import { httpHandler, ok, route } from '../../shared/http.js';

const OPS = ['operations'] as const;
const reasonBody = z.strictObject({ reason: z.string().trim().min(3).max(1000) });
/** Only the shape is checked here, and the value never appears in an error (zod's message names the rule, not the input). */
const lookupBody = z.strictObject({ nin: z.string().regex(/^\d{11}$/, 'must be 11 digits') });
const redriveBody = z.strictObject({ roundId: z.string().min(1).max(100).optional() });

let admin: SqsQueueAdmin | undefined;
const queueAdmin = () => (admin ??= new SqsQueueAdmin(sqs()));

export const routes = {
  'POST /operations/halt': route({ roles: OPS, body: reasonBody }, async ({ principal, body }) => {
    const result = await halt(dispatchUseCaseDeps(), principal, body.reason);
    return ok(result, result.inFlight === 0 ? 200 : 202);
  }),
  'POST /operations/resume': route({ roles: OPS }, async ({ principal }) => ok(await resumeAll(dispatchUseCaseDeps(), principal))),
  'GET /operations/status': route({ roles: OPS }, async () => {
    const d = dispatchAdapters();
    const [state, projects, inFlight, dispatch, planner, active] = await Promise.all([
      d.ops.read(),
      adapters().projects.listAllProjects(),
      d.store.inFlight(undefined, Date.now()),
      queueAdmin().stats(config.queueUrl('dispatch'), config.dlqUrl('dispatch')),
      queueAdmin().stats(config.queueUrl('planner'), config.dlqUrl('planner')),
      d.operations.activeRounds(),
    ]);
    const rounds = await Promise.all(
      active.map(async (r) => ({ ...r, ...(await d.store.progress(r.roundId, r.planned)) })),
    );
    return ok({
      halted: state.halted,
      haltedAt: state.halted ? state.at : undefined,
      haltReason: state.halted ? state.reason : undefined,
      pausedProjects: projects.filter((p) => p.status === 'paused').map((p) => ({ projectId: p.projectId, title: p.title, pausedAt: p.pausedAt, reason: p.pauseReason })),
      inFlight,
      queues: { dispatch, planner },
      activeRounds: rounds.map((r) => ({ projectId: r.projectId, roundId: r.roundId, status: r.status, counts: r.counts })),
      failedDeliveries: rounds.reduce((sum, r) => sum + r.counts.failed, 0),
    });
  }),
  'POST /operations/contacts/lookup': route({ roles: OPS, body: lookupBody }, async ({ principal, body }) => {
    const key = citizenKey(body.nin, config.citizenHashKey());
    const decisions = await dispatchAdapters().store.decisionsAbout(key);
    // Who looked up whom is itself audited — by keyed hash, never the ID.
    await adapters().audit.append(OPERATIONS_SCOPE, auditEvent(principal, 'contacts.lookup', { citizen: key, results: decisions.length }));
    return ok({
      items: decisions
        .map((d) => ({
          projectId: d.projectId,
          roundId: d.roundId,
          at: d.decidedAt,
          outcome: d.status,
          ...(d.reason ? { reason: d.reason } : {}),
          ...(d.channel ? { channel: d.channel } : {}),
        }))
        .sort((a, b) => String(a.at).localeCompare(String(b.at))),
    });
  }),
  'POST /operations/redrive': route({ roles: OPS, body: redriveBody }, async ({ principal, body }) => {
    const d = dispatchAdapters();
    const rounds = body.roundId
      ? [{ roundId: body.roundId, projectId: await d.store.projectOfRound(body.roundId) }]
      : (await d.rounds.roundsInStatus(['dispatching', 'completed'])).map((r) => ({ roundId: r.roundId, projectId: r.projectId as string | undefined }));
    if (body.roundId && !rounds[0]!.projectId) throw new NotFoundError('Round');
    let deliveries = 0;
    for (const r of rounds) {
      const failed = await d.store.failedOf(r.roundId);
      if (failed.size === 0) continue;
      const projectId = r.projectId!;
      for (const [batchNo, ids] of failed) deliveries += await d.store.redriveFailed({ projectId, roundId: r.roundId, batchNo }, ids);
      await d.rounds.transition(projectId, r.roundId, ['completed'], 'dispatching');
      await d.dispatchQueue.enqueue([...failed.keys()].map((batchNo) => ({ projectId, roundId: r.roundId, batchNo, chain: false })));
    }
    const messages =
      (await queueAdmin().redrive(config.dlqUrl('dispatch'), config.queueUrl('dispatch'))) +
      (await queueAdmin().redrive(config.dlqUrl('planner'), config.queueUrl('planner')));
    await adapters().audit.append(OPERATIONS_SCOPE, auditEvent(principal, 'dispatch.redriven', { roundId: body.roundId, deliveries, messages }));
    return ok({ redriven: { deliveries, messages } });
  }),
};

export const handler = httpHandler(routes);
