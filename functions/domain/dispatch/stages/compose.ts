import { externalFormLink } from '../../letters/check.js';
import { footerInfoFor, renderLetter, type RenderedLetter } from '../../letters/render.js';
import { checkRenderedLetter } from '../../letters/send-check.js';
import type { Recipient } from '../../lists/recipient-list.js';
import { pseudonymOfChild } from '../../citizens/minors.js';
import { projectPseudonym, pseudonymVersion } from '../../shared/citizen-key.js';
import { letterFingerprint } from '../../letters/fingerprint.js';
import type { Dispatchable } from '../channels.js';
import type { Channel } from '../../shared/channel.js';
import type { Attempt } from './attempt.js';
import type { Addressee } from './decide-recipients.js';

/** A recipient the wave will hand letters over for, with the addressees decided for them. */
export interface ToSend {
  readonly index: number;
  readonly recipient: Recipient;
  readonly addressees: readonly Addressee[];
  readonly guardians: boolean;
}

export type Composed =
  | { readonly index: number; readonly letters: readonly { readonly channel: Channel; readonly item: Dispatchable; readonly fingerprint: string }[] }
  /** Not exactly the approved text (a missing field, a link, an ID…): counted `invalid`, with why, never sent. */
  | { readonly index: number; readonly invalid: string };

/**
 * Issues the form tasks (for a form-task letter: to each addressee, a guardian's about the child)
 * and renders every letter from the approved version with the recipient's fields, then checks the
 * rendered text once more against the version and the project as read for this wave (approval,
 * links, national IDs, length). A recipient with one refused letter gets none.
 */
export const compose = async (a: Attempt, toSend: readonly ToSend[], sentAt: string): Promise<Composed[]> => {
  const { deps, version, project, round } = a;
  // A guardian's task names the child twice: by the round's reference (the task's and the ledger's
  // key) and by the child's own pseudonym in the project, the one the round report shows for them.
  // Both under the project's pinned key version, as its round reports and answers are.
  const ring = version.kind === 'form-task' ? deps.hashKeys() : undefined;
  const pseudonymKeyVersion = ring ? pseudonymVersion(project.pseudonymKeyVersion, ring) : undefined;
  const aboutChild = (nin: string) => (ring ? { aboutChild: pseudonymOfChild(nin, a.hashKey), childPseudonym: projectPseudonym(nin, project.projectId, ring, pseudonymKeyVersion) } : {});
  const tasks =
    version.kind === 'form-task' && version.formTaskId
      ? await deps.tasks.issue(
          toSend.flatMap((s) => s.addressees.map((to) => ({ nin: to.nin, deliveryId: to.deliveryId, language: to.language, ...(s.guardians ? aboutChild(s.recipient.nin) : {}) }))),
          { projectId: project.projectId, roundId: round.roundId, formTaskId: version.formTaskId, sentAt, ...(pseudonymKeyVersion ? { pseudonymKeyVersion } : {}) },
        )
      : undefined;
  const footer = footerInfoFor(project);
  const formUrl = await externalFormLink(deps.formTasks ? { formTasks: deps.formTasks } : {}, version);
  const externalFormUrl = typeof formUrl === 'string' && formUrl !== 'missing' ? formUrl : undefined;
  return toSend.map((s): Composed => {
    const letters: { channel: Channel; item: Dispatchable; fingerprint: string }[] = [];
    for (const to of s.addressees) {
      const task = tasks?.get(to.deliveryId);
      let letter: RenderedLetter;
      try {
        letter = renderLetter(version, to.language, s.recipient.fields ?? {}, footer, { taskLink: task?.link, ...(s.guardians ? { onBehalfOfMinor: true } : {}) });
      } catch {
        // A recipient without a value for a placeholder: never send a half-filled letter.
        return { index: s.index, invalid: 'missing_field' };
      }
      const check = checkRenderedLetter(letter, version, { footer, ...(externalFormUrl ? { externalFormUrl } : {}), testSend: round.test === true });
      if (!check.ok) return { index: s.index, invalid: check.reason };
      const item: Dispatchable = {
        deliveryId: to.deliveryId,
        projectId: project.projectId,
        roundId: round.roundId,
        nin: to.nin,
        letter,
        ...(task ? { taskId: task.taskId } : {}),
        ...(to.channel === 'paper' && to.facts.postalAddress ? { address: to.facts.postalAddress } : {}),
        ...(s.guardians ? { onBehalfOfMinor: true } : {}),
        sender: { organisationName: project.organization },
      };
      letters.push({ channel: to.channel, item, fingerprint: letterFingerprint(letter, task?.link) });
    }
    return { index: s.index, letters };
  });
};
