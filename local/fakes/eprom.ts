import { createHash, randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoPopulationRegistry, DynamoReservationRegistry } from '../../functions/adapters/dynamo/citizen-registry.js';
import { parseMessageKey } from '../../functions/adapters/national/message-key.js';
import { logger } from '../../functions/shared/logger.js';
import { applyChannelFaults } from './channel-faults.js';
import { ageOf, coalesced, letterRow, RowSink } from './letters.js';
import { json, parseJson, startFakeServer, type FakeResponse, type FakeServer } from './server.js';

/**
 * Fake of ePROM's message to citizen v2, behaving as its documentation says — including the part
 * that caused the incident: it walks the priority list it is given, and the portal refuses a
 * research sender's message to a citizen reserved against research (its own records), after which
 * the next channel in the list is tried; with nothing left it answers notificationChannel 0
 * without the reason. The platform therefore always sends a one-channel list.
 *
 * After a hand-over it calls the sender back (PUT {sender}/api/MessageToCitizen), as ePROM does.
 *
 * Like the real service it takes no sender key: every accepted POST is a letter of its own with a
 * new `messageToCitizenId`, so a repeated POST for the same delivery is a second letter (each
 * stored under `…#<messageToCitizenId>`, so it persists as a second row; also counted in memory by
 * `letters(roundId)`). Letters are
 * written through a group commit and the answer goes out once they are stored.
 */
export interface EpromFakeDeps {
  readonly db: DynamoDBDocumentClient;
  readonly citizensTable: string;
  readonly people: Pick<DynamoPopulationRegistry, 'seededPeople'>;
  readonly reservations: Pick<DynamoReservationRegistry, 'reservedAmong'>;
  readonly apiKey: string;
  /** Where and with which key to send the receipt callback; undefined → no callback. */
  readonly callback?: () => { url: string; apiKey: string } | undefined;
  /** First wait before a callback is tried again; it doubles per try (default 500 ms). */
  readonly callbackRetryBaseMs?: number;
}

export interface EpromFake extends FakeServer {
  /** Priority lists received, in order (to see that the platform never sends more than one channel). */
  readonly received: () => readonly { nationalIdHash: string; list: readonly string[]; answered: number }[];
  /** Callbacks the sender refused (4xx) or that still failed after the last try. */
  readonly callbackFailures: () => number;
  /** Letters this process delivered for a round, per addressee: more than 1 is a duplicate. */
  readonly letters: (roundId: string) => ReadonlyMap<string, number>;
}

/** Tries of one callback, the first included. */
const CALLBACK_TRIES = 9;

const CHANNELS: Record<string, number> = { None: 0, Helsenorge: 1, DigitalMailbox: 2, Unsecure: 3, PhysicalMailbox: 4 };
const channelNo = (c: unknown): number | undefined => (typeof c === 'number' ? c : typeof c === 'string' ? CHANNELS[c] : undefined);

export const startEpromFake = async (deps: EpromFakeDeps): Promise<EpromFake> => {
  const received: { nationalIdHash: string; list: readonly string[]; answered: number }[] = [];
  let callbackFailures = 0;
  const sink = new RowSink(deps.db, deps.citizensTable);
  const reservedAmong = coalesced((nins) => deps.reservations.reservedAmong(nins));
  /** roundId → addressee → letters delivered by this process. */
  const perRound = new Map<string, Map<string, number>>();

  const retryBaseMs = deps.callbackRetryBaseMs ?? 500;
  /**
   * One try of a callback: 'taken' (2xx), 'refused' (a 4xx other than 408/429: the sender says it
   * is wrong, and it stays wrong) or 'again' (5xx, 408, 429, a timeout or a broken connection: the
   * sender could not take it now).
   */
  const tryCallback = async (target: { url: string; apiKey: string }, messageToCitizenId: string, notificationChannel: number) => {
    try {
      const r = await fetch(`${target.url}/api/MessageToCitizen`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiKey: target.apiKey, messageToCitizenId, notificationChannel, sentStatus: 0 }),
        signal: AbortSignal.timeout(5_000),
      });
      await r.body?.cancel();
      if (r.ok) return 'taken';
      return r.status >= 500 || r.status === 408 || r.status === 429 ? 'again' : 'refused';
    } catch (error) {
      logger.warn('ePROM fake: callback not taken, will try again', { error: (error as Error).message });
      return 'again';
    }
  };

  const callBack = (messageToCitizenId: string, notificationChannel: number) => {
    const target = deps.callback?.();
    if (!target) return;
    // Soon, as the real service may: the receipt can arrive before the platform has recorded the
    // hand-over (it learns the id from this very answer, and records a channel call's hand-overs
    // together); the endpoint waits for it. A callback the sender could not take is tried again,
    // with doubling waits and jitter, for about two minutes at the default base: a busy sender loses
    // no receipt (its settle is conditional, so a receipt taken twice counts once).
    const attempt = async (n: number): Promise<void> => {
      const outcome = await tryCallback(target, messageToCitizenId, notificationChannel);
      if (outcome === 'taken') return;
      if (outcome === 'refused' || n >= CALLBACK_TRIES) {
        callbackFailures++;
        return;
      }
      const wait = retryBaseMs * 2 ** (n - 1) * (1 + Math.random() * 0.2);
      setTimeout(() => void attempt(n + 1), wait).unref();
    };
    setTimeout(() => void attempt(1), 250).unref();
  };

  /** The MessageToCitizen fields the fake reads; each is checked before use (the caller is under test). */
  interface EpromRequest {
    readonly nationalId?: unknown;
    readonly messageInfo?: { readonly title?: unknown };
    readonly notificationPriorityList?: unknown;
    readonly documentCollection?: {
      readonly messageKey?: unknown;
      readonly documents?: readonly {
        readonly content?: unknown;
        readonly title?: unknown;
        readonly projectId?: unknown;
        readonly language?: unknown;
        readonly mimeType?: unknown;
        readonly taskId?: unknown;
        readonly onBehalfOfMinor?: unknown;
      }[];
    };
  }

  const server = await startFakeServer('eprom', async (req): Promise<FakeResponse> => {
    if (req.method !== 'POST' || req.url.pathname !== '/api/v2/messagetocitizen') return json(404, { message: 'not found' });
    if (req.headers.authorization !== `Basic ${deps.apiKey}`) return json(400, { message: "apiKey doesn't exists" });
    const body = parseJson(req.body) as EpromRequest | undefined;
    const nin = body?.nationalId;
    const doc = body?.documentCollection?.documents?.[0];
    const key = parseMessageKey(String(body?.documentCollection?.messageKey ?? ''));
    const list: unknown[] = Array.isArray(body?.notificationPriorityList) ? body.notificationPriorityList : [];
    if (typeof nin !== 'string' || !/^\d{11}$/.test(nin) || !doc || !key || !body?.messageInfo?.title || list.length === 0) {
      return json(400, { message: 'Main document in MessageToCitizen is missing' });
    }
    const fault = await applyChannelFaults('helsenorge');
    if (fault?.status) return json(fault.status, { message: 'Unable to communicate with Helsenorge.' });
    // A transient fault is one after which the letter certainly does not exist (503: refused before
    // anything was created); 502/504 (may exist) are asked for with `failStatus`.
    if (fault?.fail === 'transient') return json(503, { message: 'Service unavailable. No message sent.' });
    if (fault?.fail === 'permanent') return json(400, { message: 'refused by fault injection' });

    const [person, reserved] = await Promise.all([deps.people.seededPeople([nin]).then((m) => m.get(nin)), reservedAmong(nin)]);
    const age = ageOf(nin);
    const text = Buffer.from(String(doc.content ?? ''), 'base64').toString('utf8');
    const letter = {
      nin,
      roundId: key.roundId,
      deliveryId: key.deliveryId,
      projectId: typeof doc.projectId === 'string' ? doc.projectId : undefined,
      subject: String(doc.title ?? ''),
      body: text,
      language: typeof doc.language === 'string' ? doc.language : undefined,
      format: typeof doc.mimeType === 'string' ? doc.mimeType : undefined,
      taskId: typeof doc.taskId === 'string' ? doc.taskId : undefined,
      onBehalfOfMinor: doc.onBehalfOfMinor === true,
    };
    let answered = 0;
    for (const c of list.map(channelNo)) {
      if (!person || person.deceased) break;
      if (c === 1 && person.digitallyActive && age >= 16 && !person.reservedAgainstDigital && !reserved.has(nin)) answered = 1;
      else if (c === 2 && person.digitalMailbox && !person.reservedAgainstDigital && age >= 18) answered = 2;
      else if (c === 4 && person.postalAddress) answered = 4;
      if (answered) break;
    }
    received.push({ nationalIdHash: createHash('sha256').update(nin).digest('hex').slice(0, 12), list: list.map(String), answered });
    if (answered === 0) return json(200, { notificationChannel: 0, messageToCitizenId: null });
    const id = randomUUID();
    // Keyed by the service's own id, so a second POST is a second row, after a restart too.
    const row = letterRow(answered === 1 ? 'helsenorge' : answered === 2 ? 'digital-mailbox' : 'paper', letter);
    await sink.put([{ ...row, sk: `${String(row.sk)}#${id}` }]);
    const round = perRound.get(key.roundId) ?? new Map<string, number>();
    perRound.set(key.roundId, round);
    round.set(nin, (round.get(nin) ?? 0) + 1);
    callBack(id, answered);
    return json(200, { notificationChannel: answered, messageToCitizenId: id });
  });
  return { ...server, received: () => received, callbackFailures: () => callbackFailures, letters: (roundId) => new Map(perRound.get(roundId) ?? []) };
};
