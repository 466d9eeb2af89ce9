import { z } from 'zod';
import type { ChannelResult, Dispatchable } from '../../domain/dispatch/channels.js';
import { jsonBody, NetworkError, type OutboundHttp } from './http.js';
import { messageKeyOf } from './message-key.js';

/**
 * ePROM "message to citizen" v2 (SendeMeldingTilInnbyggerV2.md), used for the Helsenorge inbox
 * only: the priority list holds exactly one channel, so ePROM never falls back to another on its
 * own. `notificationChannel: 0` means nothing was sent and the reason is not disclosed → refused
 * (`channel_refused`), final for that recipient in that round.
 *
 * ePROM takes no sender key (INTEGRATIONS.md), so a call is classified by whether the letter can
 * exist: a connection that was never opened, 429 and 503 (the service refused the call) →
 * `transient` (certainly not created, safe to send again); no answer, a timeout, an abort by the
 * caller's signal after the request went out, 502, 504, any other 5xx, or a 2xx that cannot be read
 * → `inDoubt` (never re-sent automatically).
 */
export const NOTIFICATION_CHANNELS = ['None', 'Helsenorge', 'DigitalMailbox', 'Unsecure', 'PhysicalMailbox'] as const;

const channelCode = z.union([
  z.number().int().min(0).max(4),
  z
    .string()
    .regex(/^[0-4]$/)
    .transform(Number),
  z.enum(NOTIFICATION_CHANNELS).transform((n) => NOTIFICATION_CHANNELS.indexOf(n)),
]);
const answer = z.object({ notificationChannel: channelCode, messageToCitizenId: z.string().nullish() });

/**
 * NARROW SEAM: `documentCollection`'s shape is not public. The platform sends one plain-text
 * document and its own message key (for idempotency on ePROM's side) here, and nowhere else.
 */
export const documentCollectionOf = (item: Dispatchable) => ({
  messageKey: messageKeyOf(item),
  documents: [
    {
      title: item.letter.subject,
      projectId: item.projectId,
      mimeType: item.letter.format,
      language: item.letter.language,
      content: Buffer.from(item.letter.body, 'utf8').toString('base64'),
      ...(item.taskId ? { taskId: item.taskId } : {}),
      ...(item.onBehalfOfMinor ? { onBehalfOfMinor: true } : {}),
    },
  ],
});

export interface EpromOptions {
  /** e.g. https://…/promswebapi */
  readonly baseUrl: string;
  readonly apiKey: () => Promise<string>;
  readonly http: OutboundHttp;
  /** Shown as sender when the letter names none. */
  readonly defaultSender: { organisationName: string; organisationNr?: string };
}

export interface EpromSent {
  readonly result: ChannelResult;
  readonly messageToCitizenId?: string;
}

const inDoubt = (reason: 'channel_timeout' | 'channel_unavailable' | 'channel_malformed_answer'): ChannelResult => ({ ok: false, transient: false, inDoubt: true, reason });

export class EpromClient {
  constructor(private readonly opts: EpromOptions) {}

  async send(item: Dispatchable, opts: { signal?: AbortSignal } = {}): Promise<EpromSent> {
    const sender = item.sender ?? this.opts.defaultSender;
    let res: Response;
    try {
      res = await this.opts.http.fetch('eprom', `${this.opts.baseUrl}/api/v2/messagetocitizen`, {
        method: 'POST',
        headers: { authorization: `Basic ${await this.opts.apiKey()}`, 'content-type': 'application/json', accept: 'application/json' },
        ...(opts.signal ? { signal: opts.signal } : {}),
        body: JSON.stringify({
          nationalId: item.nin,
          senderInfo: { organisationName: sender.organisationName, organisationNr: sender.organisationNr ?? '' },
          // The title is shown in notifications: never the letter's subject, which may be sensitive.
          messageInfo: { title: `Melding fra ${sender.organisationName}`, description: 'Du har fått en melding om et forskningsprosjekt.', merknad: sender.organisationName },
          documentCollection: documentCollectionOf(item),
          notificationPriorityList: ['Helsenorge'],
          testMode: false,
          paperColorPrint: false,
        }),
      });
    } catch (e) {
      if (e instanceof NetworkError) {
        if (e.notSent) return { result: { ok: false, transient: true, reason: 'channel_unavailable' } };
        return { result: inDoubt(e.timedOut ? 'channel_timeout' : 'channel_unavailable') };
      }
      throw e;
    }
    let body: unknown;
    try {
      body = await jsonBody(res);
    } catch {
      // The answer's body did not arrive (aborted, connection dropped): for a 2xx the letter exists.
      if (res.status === 429 || res.status === 503) return { result: { ok: false, transient: true, reason: 'channel_unavailable' } };
      if (res.status >= 400 && res.status < 500) return { result: { ok: false, transient: false, reason: `channel_http_${res.status}` } };
      return { result: inDoubt('channel_timeout') };
    }
    if (res.status === 503 || res.status === 429) return { result: { ok: false, transient: true, reason: 'channel_unavailable' } };
    // 502/504: the portal could not be reached or timed out — the message may or may not exist.
    if (res.status >= 500) return { result: inDoubt('channel_unavailable') };
    if (!res.ok) return { result: { ok: false, transient: false, reason: `channel_http_${res.status}` } };
    const parsed = answer.safeParse(body);
    // A 2xx we cannot read may have sent the letter.
    if (!parsed.success) return { result: inDoubt('channel_malformed_answer') };
    if (parsed.data.notificationChannel === 0) return { result: { ok: false, transient: false, refused: 'channel_refused' } };
    const id = parsed.data.messageToCitizenId ?? undefined;
    return { result: { ok: true, ...(id ? { receiptRef: id } : {}) }, ...(id ? { messageToCitizenId: id } : {}) };
  }
}
