import type { KeyObject } from 'node:crypto';
import { PutCommand, GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoPopulationRegistry } from '../../functions/adapters/dynamo/citizen-registry.js';
import { isConditionFailure } from '../../functions/adapters/dynamo/errors.js';
import { verifyDigipostSignature } from '../../functions/adapters/national/digipost-signing.js';
import { parseMessageKey } from '../../functions/adapters/national/message-key.js';
import { applyChannelFaults } from './channel-faults.js';
import { ageOf, letterRow, RowSink } from './letters.js';
import { startFakeServer, type FakeResponse, type FakeServer } from './server.js';

/**
 * Fake of Digipost's message API (v8): signed multipart requests only; a reused `message-id` is
 * refused with 400 and error code DUPLICATE_MESSAGE (the current response-code docs) — kept in the
 * citizens table (one conditional write per message), so a second process sees it too; the letter
 * and its document status go out through a group commit before the answer; a recipient without a digital mailbox and no print details is 404; print details put the
 * letter on the print queue with the address they carry.
 */
export interface DigipostFakeDeps {
  readonly db: DynamoDBDocumentClient;
  readonly citizensTable: string;
  readonly people: Pick<DynamoPopulationRegistry, 'seededPeople'>;
  readonly senderId: string;
  readonly publicKey: KeyObject;
}

const MEDIA = 'application/vnd.digipost-v8+xml';
const xmlAnswer = (status: number, body: string): FakeResponse => ({ status, body: `<?xml version="1.0" encoding="UTF-8"?>${body}`, contentType: MEDIA });
const error = (status: number, code: string) =>
  xmlAnswer(status, `<error xmlns="http://api.digipost.no/schema/v8"><error-code>${code}</error-code><error-message>${code}</error-message><error-type>CLIENT_DATA</error-type></error>`);
const tag = (text: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
const unxml = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** The parts of a multipart body: headers (lower-case) and content. */
const partsOf = (body: Buffer, boundary: string): { headers: Record<string, string>; content: Buffer }[] => {
  const text = body.toString('latin1');
  return text
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((raw) => {
      const part = raw.replace(/^\r\n/, '').replace(/\r\n$/, '');
      const split = part.indexOf('\r\n\r\n');
      const headers = Object.fromEntries(
        part
          .slice(0, split)
          .split('\r\n')
          .map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      return { headers, content: Buffer.from(part.slice(split + 4), 'latin1') };
    });
};

export const startDigipostFake = async (deps: DigipostFakeDeps): Promise<FakeServer> => {
  const sink = new RowSink(deps.db, deps.citizensTable);
  return startFakeServer('digipost', async (req): Promise<FakeResponse> => {
    const pathAndQuery = `${req.url.pathname}${req.url.search}`;
    if (!verifyDigipostSignature(deps.publicKey, req.method, pathAndQuery, req.body, req.headers) || req.headers['x-digipost-userid'] !== deps.senderId) {
      return error(403, 'INVALID_SIGNATURE');
    }
    const status = /^\/documents\/([^/]+)\/([^/]+)\/status$/.exec(req.url.pathname);
    if (req.method === 'GET' && status) {
      const res = await deps.db.send(new GetCommand({ TableName: deps.citizensTable, Key: { pk: 'FAKEDIGIPOST', sk: `DOC#${status[2]}` } }));
      if (!res.Item) return error(404, 'UNKNOWN_DOCUMENT');
      const method = res.Item.deliveryMethod ? `<delivery-method>${String(res.Item.deliveryMethod)}</delivery-method>` : '';
      return xmlAnswer(200, `<document-status>${method}<status>${String(res.Item.status)}</status></document-status>`);
    }
    if (req.method !== 'POST' || req.url.pathname !== '/messages') return error(404, 'NOT_FOUND');
    const boundary = /^multipart\/vnd\.digipost-v8\+xml;\s*boundary=([^;]+)$/i.exec(req.headers['content-type'] ?? '')?.[1];
    if (!boundary) return error(415, 'UNSUPPORTED_MEDIA_TYPE');
    const parts = partsOf(req.body, boundary);
    const message = parts[0]?.content.toString('utf8') ?? '';
    const messageId = tag(message, 'message-id');
    const nin = tag(message, 'personal-identification-number');
    const uuid = tag(message, 'uuid');
    const document = parts.find((p) => (p.headers['content-disposition'] ?? '').includes(`filename="${uuid}"`));
    const key = messageId ? parseMessageKey(unxml(messageId)) : undefined;
    if (!messageId || !nin || !uuid || !document || !key || parts[0]?.headers['content-type'] !== MEDIA) return error(400, 'INVALID_MESSAGE');
    const print = message.includes('<print-details>');

    const fault = await applyChannelFaults(print ? 'paper' : 'digital-mailbox');
    if (fault?.status) return error(fault.status, 'SERVICE_UNAVAILABLE');
    if (fault?.fail === 'transient') return error(503, 'SERVICE_UNAVAILABLE');
    if (fault?.fail === 'permanent') return error(400, 'REFUSED_BY_FAULT_INJECTION');

    const person = (await deps.people.seededPeople([nin])).get(nin);
    const toMailbox = Boolean(person && !person.deceased && person.digitalMailbox && !person.reservedAgainstDigital && ageOf(nin) >= 18);
    if (!toMailbox && !print) return error(404, 'UNKNOWN_RECIPIENT');
    try {
      await deps.db.send(
        new PutCommand({
          TableName: deps.citizensTable,
          Item: { pk: 'FAKEDIGIPOST', sk: `MSG#${messageId}` },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      if (isConditionFailure(e)) return error(400, 'DUPLICATE_MESSAGE');
      throw e;
    }
    const channel = toMailbox ? 'digital-mailbox' : 'paper';
    const address = print
      ? {
          lines: [1, 2, 3]
            .map((i) => tag(message, `addressline${i}`))
            .filter(Boolean)
            .map((l) => unxml(l!)),
          postalCode: tag(message, 'zip-code'),
          city: tag(message, 'city'),
        }
      : undefined;
    const deliveryStatus = toMailbox ? 'DELIVERED' : 'DELIVERED_TO_PRINT';
    await sink.put([
      letterRow(channel, {
        nin,
        roundId: key.roundId,
        deliveryId: key.deliveryId,
        subject: unxml(tag(message, 'subject') ?? ''),
        body: document.content.toString('utf8'),
        format: 'text/plain',
        ...(address ? { address } : {}),
      }),
      { pk: 'FAKEDIGIPOST', sk: `DOC#${uuid}`, status: deliveryStatus, deliveryMethod: toMailbox ? 'DIGIPOST' : 'PRINT' },
    ]);
    return xmlAnswer(
      200,
      `<message-delivery xmlns="http://api.digipost.no/schema/v8"><message-id>${messageId}</message-id><delivery-method>${toMailbox ? 'DIGIPOST' : 'PRINT'}</delivery-method><status>${deliveryStatus}</status><delivery-time>${new Date().toISOString()}</delivery-time></message-delivery>`,
    );
  });
};
