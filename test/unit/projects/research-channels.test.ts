import { describe, expect, it } from 'vitest';
import { requireResearchReservationReadable } from '../../../functions/domain/projects/lifecycle.js';

describe('a distribution rule beyond the portal needs the general research reservation readable', () => {
  it('test_should_refuse_a_non_portal_rule_for_a_research_project_where_the_reservation_cannot_be_read', () => {
    for (const rule of ['helsenorge-then-paper', 'digital-mailbox-then-paper'] as const) {
      expect(() => requireResearchReservationReadable('research', rule, false)).toThrow(expect.objectContaining({ code: 'RESERVATION_UNREADABLE', status: 409 }));
      expect(() => requireResearchReservationReadable('research', rule, true)).not.toThrow();
      // Not research: the research reservation does not bind it.
      expect(() => requireResearchReservationReadable('health-survey', rule, false)).not.toThrow();
    }
    expect(() => requireResearchReservationReadable('research', 'helsenorge-only', false)).not.toThrow();
  });
});
