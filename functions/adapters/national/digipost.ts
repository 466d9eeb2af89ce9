import { createHash, randomBytes } from 'node:crypto';
import type { ChannelResult, Dispatchable } from '../../domain/dispatch/channels.js';
import type { ReceiptOutcome } from '../../domain/receipts/ports.js';
import type { DigipostSigner } from './digipost-signing.js';
import { NetworkError, type OutboundHttp } from './http.js';
import { messageKeyOf } from './message-key.js';

/**
 * Digipost (api_v8.xsd): one multipart request per letter, `multipart/vnd.digipost-v8+xml`, the
 * message XML first and then the document named by its uuid. `message-id` is the platform's
 * message key, so a retry cannot make a second letter: Digipost refuses a reused id with error
 * code DUPLICATE_MESSAGE (400 in the current response-code docs; 409 accepted too), matched by the
 * error code, which here means "already delivered". Because of that, every call without an answer
 * (timeout, abort by the caller's signal, network error) is `transient`: sending again under the
 * same message-id is safe. Print details go in only when the platform chose paper, with the
 * address Folkeregisteret gave.
 */
export const DIGIPOST_MEDIA = 'application/vnd.digipost-v8+xml';

const xml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** The same key always gives the same document uuid (a retry re-sends the same document). */
export const documentUuidOf = (messageKey: string): string => {
  const h = createHash('sha256').update(`digipost-document:${messageKey}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

const printDetails = (item: Dispatchable, returnAddress: DigipostOptions['returnAddress']): string => {
  const a = item.address!;
  const lines = a.lines
    .slice(0, 3)
    .map((l, i) => `<addressline${i + 1}>${xml(l)}</addressline${i + 1}>`)
    .join('');
  return (
    `<print-details><recipient><name>${xml(a.addressee ?? '')}</name><norwegian-address>${lines}<zip-code>${xml(a.postalCode)}</zip-code><city>${xml(a.city)}</city></norwegian-address></recipient>` +
    `<return-address><name>${xml(returnAddress.name)}</name><norwegian-address><addressline1>${xml(returnAddress.line)}</addressline1><zip-code>${xml(returnAddress.postalCode)}</zip-code><city>${xml(returnAddress.city)}</city></norwegian-address></return-address>` +
    `<post-type>B</post-type><color>MONOCHROME</color><nondeliverable-handling>RETURN_TO_SENDER</nondeliverable-handling></print-details>`
  );
};

export const messageXml = (item: Dispatchable, senderId: string, paper: boolean, returnAddress: DigipostOptions['returnAddress']): string => {
  const key = messageKeyOf(item);
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
    `<message xmlns="http://api.digipost.no/schema/v8"><message-id>${xml(key)}</message-id><sender-id>${xml(senderId)}</sender-id>` +
    `<recipient><personal-identification-number>${xml(item.nin)}</personal-identification-number>${paper ? printDetails(item, returnAddress) : ''}</recipient>` +
    `<primary-document><uuid>${documentUuidOf(key)}</uuid><subject>${xml(item.letter.subject)}</subject><file-type>txt</file-type>` +
    `<authentication-level>TWO_FACTOR</authentication-level><sensitivity-level>SENSITIVE</sensitivity-level></primary-document></message>`
  );
};

const tag = (text: string, name: string): string | undefined => new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(text)?.[1];

/**
 * NARROW SEAM (as status() below): the way a letter went, from a message-delivery or document
 * status answer: `delivery-method` DIGIPOST → the mailbox, PRINT → paper (or a `DELIVERED_TO_PRINT`
 * status); undefined when the answer does not say.
 */
const wayOf = (text: string): 'digital-mailbox' | 'paper' | undefined => {
  const method = tag(text, 'delivery-method');
  return method === 'DIGIPOST' ? 'digital-mailbox' : method === 'PRINT' || tag(text, 'status') === 'DELIVERED_TO_PRINT' ? 'paper' : undefined;
};

export interface DigipostOptions {
  /** https://api.digipost.no (test: https://api.test.digipost.no) */
  readonly baseUrl: string;
  readonly senderId: string;
  readonly signer: Pick<DigipostSigner, 'sign'>;
  readonly http: OutboundHttp;
  readonly returnAddress: { name: string; line: string; postalCode: string; city: string };
}

/** Digipost gave no usable answer to a status question (not 2xx, not 404). */
export class DigipostNoAnswerError extends Error {
  constructor(readonly status: number) {
    super(`digipost: status answered ${status}`);
    this.name = 'DigipostNoAnswerError';
  }
}

export interface DigipostSent {
  readonly result: ChannelResult;
  readonly documentUuid: string;
  /** Set when the answer already tells the outcome (DELIVERED). */
  readonly outcome?: ReceiptOutcome;
  /** The way it went where the answer says (`delivery-method`): a letter with print details goes to a Digipost user's mailbox. */
  readonly wentAs?: 'digital-mailbox' | 'paper';
}

/** A document Digipost holds, and the way it went where its status says. */
export interface HeldDocument {
  readonly wentAs?: 'digital-mailbox' | 'paper';
}

export class DigipostClient {
  constructor(private readonly opts: DigipostOptions) {}

  async send(item: Dispatchable, paper: boolean, opts: { signal?: AbortSignal } = {}): Promise<DigipostSent> {
    const key = messageKeyOf(item);
    const uuid = documentUuidOf(key);
    if (paper && !item.address) return { result: { ok: false, transient: false, reason: 'address_missing' }, documentUuid: uuid };
    const boundary = `rd-${randomBytes(12).toString('hex')}`;
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Type: ${DIGIPOST_MEDIA}\r\nContent-Disposition: attachment; filename="message"\r\n\r\n` +
          `${messageXml(item, this.opts.senderId, paper, this.opts.returnAddress)}\r\n` +
          `--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="${uuid}"\r\n\r\n`,
        'utf8',
      ),
      Buffer.from(item.letter.body, 'utf8'),
      Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'),
    ]);
    const url = `${this.opts.baseUrl}/messages`;
    let res: Response;
    try {
      res = await this.opts.http.fetch('digipost', url, {
        method: 'POST',
        headers: { ...(await this.opts.signer.sign('POST', url, body)), 'content-type': `multipart/vnd.digipost-v8+xml; boundary=${boundary}`, accept: DIGIPOST_MEDIA },
        body,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (e) {
      if (e instanceof NetworkError) return { result: { ok: false, transient: true, reason: e.timedOut ? 'channel_timeout' : 'channel_unavailable' }, documentUuid: uuid };
      throw e;
    }
    let text: string;
    try {
      text = await res.text();
    } catch {
      // The body did not arrive: whatever happened, a re-send under the same message-id is safe.
      return { result: { ok: false, transient: true, reason: 'channel_timeout' }, documentUuid: uuid };
    }
    const isXml = (res.headers.get('content-type') ?? '').includes('xml');
    if ((res.status === 400 || res.status === 409) && isXml && tag(text, 'error-code') === 'DUPLICATE_MESSAGE') {
      return { result: { ok: true, receiptRef: uuid }, documentUuid: uuid };
    }
    if (res.status >= 500 || res.status === 429) return { result: { ok: false, transient: true, reason: 'channel_unavailable' }, documentUuid: uuid };
    // Not a Digipost user and no print details: the channel cannot take this letter.
    if (res.status === 404 && !paper) return { result: { ok: false, transient: false, refused: 'channel_refused' }, documentUuid: uuid };
    if (!res.ok) return { result: { ok: false, transient: false, reason: `channel_http_${res.status}` }, documentUuid: uuid };
    const status = isXml ? tag(text, 'status') : undefined;
    if (!status) return { result: { ok: false, transient: true, reason: 'channel_malformed_answer' }, documentUuid: uuid };
    const wentAs = wayOf(text);
    return {
      result: { ok: true, receiptRef: uuid, ...(wentAs ? { wentAs } : {}) },
      documentUuid: uuid,
      ...(status === 'DELIVERED' ? { outcome: 'confirmed' as const } : {}),
      ...(wentAs ? { wentAs } : {}),
    };
  }

  /**
   * The document Digipost holds under this uuid (the uuid follows from our message key), with the
   * way it went where its status says: `delivery-method` DIGIPOST → the mailbox, PRINT → paper (or a
   * `DELIVERED_TO_PRINT` status). Undefined on 404. Throws when Digipost gives no usable answer (no
   * answer, 5xx, anything else): the fate cannot be told now.
   */
  async find(documentUuid: string, opts: { signal?: AbortSignal } = {}): Promise<HeldDocument | undefined> {
    const url = `${this.opts.baseUrl}/documents/${encodeURIComponent(this.opts.senderId)}/${encodeURIComponent(documentUuid)}/status`;
    const res = await this.opts.http.fetch('digipost', url, {
      method: 'GET',
      headers: { ...(await this.opts.signer.sign('GET', url, '')), accept: DIGIPOST_MEDIA },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new DigipostNoAnswerError(res.status);
    }
    const wentAs = wayOf(await res.text().catch(() => ''));
    return wentAs ? { wentAs } : {};
  }

  /**
   * NARROW SEAM: the status document's shape is not in the stored material beyond its URL; its
   * `<status>` is read here: DELIVERED / DELIVERED_TO_PRINT → confirmed, NOT_DELIVERED / FAILED →
   * failed after send, anything else → still awaiting.
   */
  async status(documentUuid: string): Promise<ReceiptOutcome | 'awaiting'> {
    const url = `${this.opts.baseUrl}/documents/${encodeURIComponent(this.opts.senderId)}/${encodeURIComponent(documentUuid)}/status`;
    const res = await this.opts.http.fetch('digipost', url, { method: 'GET', headers: { ...(await this.opts.signer.sign('GET', url, '')), accept: DIGIPOST_MEDIA } });
    const text = await res.text();
    if (!res.ok) return 'awaiting';
    const s = tag(text, 'status');
    if (s === 'DELIVERED' || s === 'DELIVERED_TO_PRINT') return 'confirmed';
    if (s === 'NOT_DELIVERED' || s === 'FAILED') return 'failedAfterSend';
    return 'awaiting';
  }
}
