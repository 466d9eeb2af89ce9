import type { RoundLifecycle } from '../../domain/dispatch/ports.js';
import type { Round } from '../../domain/rounds/round.js';

/** How many (project, release sequence) answers a container keeps; the oldest goes first. */
const KEPT = 200;

/**
 * A decorator of the engine's rounds port: a project's released rounds are kept per release
 * sequence for the container's life. Only what cannot change is kept: a round becomes released
 * only with the sequence moving, and what the engine reads of a released round never changes
 * (RoundLifecycle.projectRounds), so every batch of a round needs one read per sequence, not one
 * each. A read that fails is not kept. Bounded: the oldest answer goes first.
 */
export const keepingReleasedRounds = <P extends Pick<RoundLifecycle, 'projectRounds'>>(inner: P, kept: number = KEPT): P => {
  const bySeq = new Map<string, Promise<Round[]>>();
  return {
    ...inner,
    projectRounds: (projectId: string, releaseSeq: number): Promise<Round[]> => {
      const key = `${projectId}#${releaseSeq}`;
      const known = bySeq.get(key);
      if (known) return known;
      const read = inner.projectRounds(projectId, releaseSeq);
      if (bySeq.size >= kept) bySeq.delete(bySeq.keys().next().value!);
      bySeq.set(key, read);
      read.catch(() => bySeq.delete(key));
      return read;
    },
  };
};
