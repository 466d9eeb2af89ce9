import type { LetterVersion } from '../../letters/letter.js';
import type { Recipient } from '../../lists/recipient-list.js';
import type { Project } from '../../projects/project.js';
import type { BrakeCounts } from '../../rounds/brake.js';
import type { ReleasedRound, RoundLayout } from '../../rounds/round.js';
import type { RecipientOutcome } from '../../rounds/round.js';
import type { BatchRef, DispatchMessage, EngineDeps } from '../ports.js';
import { openId, sealId } from '../../shared/sealed-id.js';

/**
 * One attempt at one batch: what the stages share. `outcomes` and `chained` are what is committed
 * so far (each wave commits); `project` and `version` are the latest the gate read.
 */
export interface Attempt {
  readonly deps: EngineDeps;
  readonly ref: BatchRef;
  readonly message: DispatchMessage;
  readonly round: ReleasedRound;
  readonly layout: RoundLayout;
  readonly range: { readonly start: number; readonly end: number; readonly canary: boolean };
  readonly leaseId: string;
  /** Epoch ms by which every channel call of this attempt has ended (the invocation's time less the commit budget). */
  readonly handOverUntil: number;
  readonly recipients: readonly Recipient[];
  readonly releaseSeq: number;
  /** The key this round's guardian delivery ids and child references are made with (its release's version). */
  readonly hashKey: string;
  project: Project;
  version: LetterVersion;
  outcomes: readonly RecipientOutcome[];
  chained: boolean;
  /** The number of this attempt's last wave plan (batch.ts withFencedPlans): the next is one above; each commit records it. */
  planSeq: number;
  /** What the automatic brake has counted of this attempt and not yet added to its window (stages/brake.ts). */
  brakeHeld?: BrakeCounts;
}

/** Zero-padded so that ids sort by batch; the channel's idempotency key together with the round id. */
export const deliveryIdOf = (batchNo: number, index: number): string => `${String(batchNo).padStart(6, '0')}-${String(index).padStart(4, '0')}`;

export const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);

/** What a guardian's sealed ID in a plan is bound to: this round and the letter's delivery id. */
const sealContext = (a: Pick<Attempt, 'round'>, deliveryId: string): string => `plan/${a.round.projectId}/${a.round.roundId}/${deliveryId}`;

/** The guardian a planned letter goes to, sealed under the round's key version (shared/sealed-id.ts). */
export const sealGuardian = (a: Pick<Attempt, 'round' | 'hashKey'>, nin: string, deliveryId: string): string => sealId(nin, a.hashKey, sealContext(a, deliveryId));

/** …and opened again by a recovery; undefined when it does not open. */
export const openGuardian = (a: Pick<Attempt, 'round' | 'hashKey'>, sealed: string, deliveryId: string): string | undefined => openId(sealed, a.hashKey, sealContext(a, deliveryId));
