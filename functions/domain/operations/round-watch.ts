import type { ProjectStatus } from '../projects/project.js';

/**
 * The round watch's one decision: which rounds should be making progress right now. A round in
 * `dispatching` should — unless dispatch is halted, its project paused, or (a round of real
 * letters) its project no longer approved, back in review after its link domains changed: then
 * standing still is the point (dispatch/stages/gate.ts). Rounds waiting for a person (canary_hold)
 * or finished are not counted. A project whose status is not known counts as approved: the alarm
 * stays armed.
 * The count goes out as the DispatchingRounds metric once a minute; the stall alarm fires when it
 * stays above zero while no batch decided anyone (RecipientsDecided) for N minutes.
 */
export interface WatchedRound {
  readonly projectId: string;
  readonly roundId: string;
  readonly status: string;
  /** A test send to synthetic persons: sent whatever the project's approval. */
  readonly test?: boolean;
}

/**
 * Georedundant stages: the round watch also removes its region's in-flight markers of waves whose
 * deadline passed this long ago — left by workers that died before their commit dropped them. They
 * already count for nothing (a pause waits only for a marker before its deadline); the fence table
 * keeps no TTL, so without this its region item would only grow.
 */
export const DEAD_MARKER_AGE_MS = 5 * 60_000;

export const roundsExpectedToProgress = (rounds: readonly WatchedRound[], halted: boolean, projectStatus: ReadonlyMap<string, ProjectStatus>): WatchedRound[] =>
  halted
    ? []
    : rounds.filter((r) => {
        const project = projectStatus.get(r.projectId) ?? 'approved';
        return r.status === 'dispatching' && project !== 'paused' && (r.test === true || project === 'approved');
      });
