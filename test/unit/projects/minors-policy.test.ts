import { describe, expect, it } from 'vitest';
import {
  approvedMinorsPolicy,
  effectiveMinorsPolicy,
  minorsPolicyPending,
  requireMinorsPolicyApproved,
  withMinorsApprovedBy,
  withMinorsPolicy,
} from '../../../functions/domain/projects/minors-policy.js';
import { approve, newProject, submit, type Project } from '../../../functions/domain/projects/project.js';

const at = '2030-01-02T00:00:00.000Z';
const draft = newProject('prj_1', { title: 'T', organization: 'uio' }, { sub: 'ola', role: 'researcher', org: 'uio' }, '2030-01-01T00:00:00.000Z', true);
const approvedProject = (p: Project, by = 'siri'): Project => withMinorsApprovedBy(approve(submit(p, 'ola', at), by, at), by, at);

describe('the minors policy and its approval', () => {
  it('defaults to exclude, which is in force without any approval', () => {
    expect(draft.settings.minors).toBe('exclude');
    expect(minorsPolicyPending(draft)).toBe(false);
    expect(effectiveMinorsPolicy(draft)).toBe('exclude');
    expect(() => requireMinorsPolicyApproved(draft)).not.toThrow();
  });

  it('guardians set before review is approved with the project, by someone other than who set it', () => {
    const set = withMinorsPolicy(draft, 'guardians', 'siri', at);
    expect(effectiveMinorsPolicy(set)).toBe('exclude');
    expect(() => approvedProject(set, 'siri')).toThrow(expect.objectContaining({ code: 'FOUR_EYES' }));
    const ok = approvedProject(set, 'sara');
    expect(ok.minorsApproval).toMatchObject({ policy: 'guardians', approvedBy: 'sara' });
    expect(effectiveMinorsPolicy(ok)).toBe('guardians');
  });

  it('a change to guardians after approval is pending (exclude in force, release refused) until another superuser approves it', () => {
    const approved = approvedProject(draft);
    const changed = withMinorsPolicy(approved, 'guardians', 'siri', at);
    expect(changed.status).toBe('approved');
    expect(minorsPolicyPending(changed)).toBe(true);
    expect(effectiveMinorsPolicy(changed)).toBe('exclude');
    expect(() => requireMinorsPolicyApproved(changed)).toThrow(expect.objectContaining({ code: 'MINORS_POLICY_NOT_APPROVED', status: 409 }));
    expect(() => approvedMinorsPolicy(changed, 'guardians', 'siri', at)).toThrow(expect.objectContaining({ code: 'FOUR_EYES' }));
    expect(() => approvedMinorsPolicy(changed, 'exclude', 'sara', at)).toThrow(expect.objectContaining({ code: 'SETTINGS_CHANGED' }));
    const ok = approvedMinorsPolicy(changed, 'guardians', 'sara', at);
    expect(effectiveMinorsPolicy(ok)).toBe('guardians');
    expect(approvedMinorsPolicy(ok, 'guardians', 'siri', at)).toBe(ok);
  });

  it('back to exclude applies at once; guardians again needs a new approval', () => {
    const withGuardians = approvedProject(withMinorsPolicy(draft, 'guardians', 'siri', at), 'sara');
    const excluded = withMinorsPolicy(withGuardians, 'exclude', 'siri', at);
    expect(effectiveMinorsPolicy(excluded)).toBe('exclude');
    expect(minorsPolicyPending(excluded)).toBe(false);
    const again = withMinorsPolicy(excluded, 'guardians', 'siri', at);
    // Guardians was approved before, but switching back is a new decision.
    expect(again.minorsApproval).toBeUndefined();
    expect(minorsPolicyPending(again)).toBe(true);
    expect(effectiveMinorsPolicy(again)).toBe('exclude');
  });

  it('setting the policy it already has changes nothing', () => {
    expect(withMinorsPolicy(draft, 'exclude', 'siri', at)).toBe(draft);
  });
});
