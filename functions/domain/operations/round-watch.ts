/**
 * The round watch's one decision: which rounds should be making progress right now. A round in
 * `dispatching` should — unless dispatch is halted or its project paused (then standing still is
 * the point). Rounds waiting for a person (canary_hold) or finished are not counted.
 * The count goes out as the DispatchingRounds metric once a minute; the stall alarm fires when it
 * stays above zero while no batch decided anyone (RecipientsDecided) for N minutes.
 */
export interface WatchedRound {
  readonly projectId: string;
  readonly roundId: string;
  readonly status: string;
}

export const roundsExpectedToProgress = (rounds: readonly WatchedRound[], halted: boolean, pausedProjects: ReadonlySet<string>): WatchedRound[] =>
  halted ? [] : rounds.filter((r) => r.status === 'dispatching' && !pausedProjects.has(r.projectId));
