import { describe, expect, it } from 'vitest';
import { halt, resumeAll, type HaltState, type OperationsDeps } from '../../../functions/domain/dispatch/operations.js';
import { OPERATIONS_SCOPE, type AuditEvent } from '../../../functions/domain/shared/audit.js';
import type { Principal } from '../../../functions/shared/principal.js';

class Crash extends Error {}

/**
 * The halt and the resume of all sending, and their entries in the operations trail. The state is
 * written first (a halt must never wait for the trail), then the entry: an operator whose first
 * press died between the two presses again, and the trail must then hold the entry once.
 */
const ops = () => {
  let state: HaltState = { halted: false };
  const trail: AuditEvent[] = [];
  const once = new Set<string>();
  let dieAtNextEntry = false;
  const write = (scope: string, event: AuditEvent, key?: string) => {
    if (dieAtNextEntry) {
      dieAtNextEntry = false;
      throw new Crash('died between the state and its audit entry');
    }
    expect(scope).toBe(OPERATIONS_SCOPE);
    if (key !== undefined && once.has(key)) return undefined;
    if (key !== undefined) once.add(key);
    trail.push(event);
    return { ...event, scope, seq: trail.length, prevHash: '', hash: '' };
  };
  const deps = {
    state: { read: async () => state, write: async (s: HaltState) => void (state = s) },
    audit: { append: async (scope: string, e: AuditEvent) => write(scope, e)!, appendOnce: async (scope: string, key: string, e: AuditEvent) => write(scope, e, key) },
    batches: { inFlight: async () => 0 },
    rounds: { listRoundsByStatus: async () => [] },
    projects: { listAllProjects: async () => [] },
    control: { continue: async () => 0 },
    clock: () => Date.parse('2026-12-07T10:00:00Z'),
    sleep: async () => undefined,
  } as unknown as OperationsDeps;
  return { deps, trail, state: () => state, dieAtNextEntry: () => void (dieAtNextEntry = true) };
};

const anna: Principal = { sub: 'ops-anna', role: 'operations' };
const bjorn: Principal = { sub: 'ops-bjorn', role: 'operations', name: 'Bjørn Drift' };

describe('the operations trail of a halt and a resume', () => {
  it('test_should_audit_a_halt_once_under_the_halting_operator_when_the_first_press_died_before_its_entry', async () => {
    const o = ops();
    o.dieAtNextEntry();
    await expect(halt(o.deps, anna, 'Feil i brevmal')).rejects.toBeInstanceOf(Crash);
    // Halted all the same: the state comes first.
    expect(o.state()).toMatchObject({ halted: true, by: 'ops-anna', reason: 'Feil i brevmal' });
    expect(o.trail).toEqual([]);
    // Pressed again (by someone else): the standing halt's entry, under who halted and why.
    expect(await halt(o.deps, bjorn, 'trykker igjen')).toMatchObject({ halted: true, inFlight: 0 });
    await halt(o.deps, bjorn, 'og igjen');
    expect(o.trail.map((e) => [e.action, e.actor, e.details.reason])).toEqual([['dispatch.halted', 'ops-anna', 'Feil i brevmal']]);
    // Never under the name of the operator who pressed again.
    expect(o.trail[0]!.actorName).toBeUndefined();
  });

  it('test_should_audit_a_resume_once_when_the_first_press_died_before_its_entry', async () => {
    const o = ops();
    await halt(o.deps, anna, 'Feil i brevmal');
    o.dieAtNextEntry();
    await expect(resumeAll(o.deps, bjorn)).rejects.toBeInstanceOf(Crash);
    expect(o.state()).toMatchObject({ halted: false, by: 'ops-bjorn' });
    await resumeAll(o.deps, anna);
    await resumeAll(o.deps, anna);
    expect(o.trail.map((e) => [e.action, e.actor])).toEqual([
      ['dispatch.halted', 'ops-anna'],
      ['dispatch.resumed', 'ops-bjorn'],
    ]);
  });

  it('test_should_write_no_entry_for_a_resume_pressed_when_nothing_was_ever_halted', async () => {
    const o = ops();
    expect(await resumeAll(o.deps, anna)).toEqual({ halted: false, requeued: 0 });
    expect(o.trail).toEqual([]);
  });
});
