import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../../functions/domain/shared/channel.js';
import { batchPutAll } from '../../functions/adapters/dynamo/batch.js';
import { keys } from '../../functions/adapters/dynamo/keys.js';
import { ageFromNin } from '../../functions/domain/shared/nin.js';

/**
 * Where the channel fakes keep delivered letters: the citizens table under the citizen's key,
 * INBOX# (Helsenorge), MAILBOX# (digital mailbox), PRINT# (paper) + roundId#deliveryId — the
 * items GET /citizen/inbox and the tests read. Digipost (which deduplicates) stores one row per
 * delivery; the ePROM fake (which cannot) one per accepted POST, `…#<messageToCitizenId>`.
 */
export interface DeliveredLetter {
  readonly nin: string;
  readonly roundId: string;
  readonly deliveryId: string;
  readonly projectId?: string;
  readonly subject: string;
  readonly body: string;
  readonly language?: string;
  readonly format?: string;
  readonly taskId?: string;
  readonly onBehalfOfMinor?: boolean;
  readonly address?: unknown;
}

/** The stored row of a letter (a fake without a sender key appends its own id to the sort key). */
export const letterRow = (channel: Channel, l: DeliveredLetter): Record<string, unknown> => ({
  ...keys.deliveredLetter(l.nin, channel, l.roundId, l.deliveryId),
  deliveryId: `${l.roundId}/${l.deliveryId}`,
  channel,
  subject: l.subject,
  body: l.body,
  receivedAt: new Date().toISOString(),
  ...(l.projectId ? { projectId: l.projectId } : {}),
  ...(l.language ? { language: l.language } : {}),
  ...(l.format ? { format: l.format } : {}),
  ...(l.taskId ? { taskId: l.taskId } : {}),
  ...(l.onBehalfOfMinor ? { onBehalfOfMinor: true } : {}),
  ...(l.address ? { address: l.address } : {}),
});

/**
 * Group commit for the fakes' writes: rows handed in within a few milliseconds go out together as
 * BatchWrites (25 a request) and every caller's promise settles when its rows are stored — so a
 * fake answers only after what it delivered is persisted (it survives a restart as before), at a
 * fraction of the requests one write per letter costs.
 */
export class RowSink {
  private pending: { rows: Record<string, unknown>[]; done: () => void; fail: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly lingerMs = 5,
  ) {}

  put(rows: readonly Record<string, unknown>[]): Promise<void> {
    return new Promise<void>((done, fail) => {
      this.pending.push({ rows: [...rows], done, fail });
      if (this.pending.reduce((n, p) => n + p.rows.length, 0) >= 100) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.pending.splice(0);
    if (now.length === 0) return;
    batchPutAll(
      this.db,
      this.table,
      now.flatMap((p) => p.rows),
    ).then(
      () => now.forEach((p) => p.done()),
      (e: unknown) => now.forEach((p) => p.fail(e)),
    );
  }
}

export const ageOf = (nin: string, at = new Date()): number => {
  const age = ageFromNin(nin, at, { allowSynthetic: true });
  return age.ok ? age.age : -1;
};

/**
 * Coalesces look-ups made within a few milliseconds into one call of `load` over all their keys
 * (a BatchGet of up to 100 instead of one per letter); each caller gets the whole answer and picks
 * its own key. Read at the time of the call as before, consistently as `load` reads.
 */
export const coalesced = <R>(load: (keys: string[]) => Promise<R>, lingerMs = 3): ((key: string) => Promise<R>) => {
  let waiting: { keys: string[]; done: (r: R) => void; fail: (e: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const now = waiting;
    waiting = [];
    load([...new Set(now.flatMap((w) => w.keys))]).then(
      (r) => now.forEach((w) => w.done(r)),
      (e: unknown) => now.forEach((w) => w.fail(e)),
    );
  };
  return (key) =>
    new Promise<R>((done, fail) => {
      waiting.push({ keys: [key], done, fail });
      if (waiting.length >= 100) flush();
      else timer ??= setTimeout(flush, lingerMs);
    });
};
