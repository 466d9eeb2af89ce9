import type { ChannelResult, Dispatchable } from '../../domain/dispatch/channels.js';
import { logger } from '../../shared/logger.js';
import type { FleetRateLimiter } from '../channels/fleet-rate-limit.js';
import { documentUuidOf, type DigipostClient, type DigipostSent } from './digipost.js';
import type { EpromClient, EpromSent } from './eprom.js';
import { messageKeyOf } from './message-key.js';

/**
 * The fleet's rate limit per service, put in front of each letter's call to ePROM or Digipost
 * (composition: national/index.ts). A letter gets a token right before its call; one that cannot
 * get one before the wave's signal aborts is never called and is answered `transient`
 * (`rate_limited`): it certainly does not exist at the channel, so it is decided again later —
 * never in doubt. So is a letter whose token could not be asked for (the store did not answer).
 */
const RATE_LIMITED: ChannelResult = { ok: false, transient: true, reason: 'rate_limited' };

const admitted = async (limiter: Pick<FleetRateLimiter, 'take'>, signal: AbortSignal | undefined, service: string): Promise<boolean> => {
  try {
    return await limiter.take(signal ?? new AbortController().signal);
  } catch (error) {
    logger.error('rate limit could not be read: the letter waits', { service, error });
    return false;
  }
};

export const rateLimitedEprom = (client: Pick<EpromClient, 'send'>, limiter: Pick<FleetRateLimiter, 'take'>): Pick<EpromClient, 'send'> => ({
  send: async (item: Dispatchable, opts: { signal?: AbortSignal } = {}): Promise<EpromSent> => ((await admitted(limiter, opts.signal, 'eprom')) ? client.send(item, opts) : { result: RATE_LIMITED }),
});

export const rateLimitedDigipost = (client: Pick<DigipostClient, 'send' | 'find'>, limiter: Pick<FleetRateLimiter, 'take'>): Pick<DigipostClient, 'send' | 'find'> => ({
  send: async (item: Dispatchable, paper: boolean, opts: { signal?: AbortSignal } = {}): Promise<DigipostSent> =>
    (await admitted(limiter, opts.signal, 'digipost')) ? client.send(item, paper, opts) : { result: RATE_LIMITED, documentUuid: documentUuidOf(messageKeyOf(item)) },
  // A status question sends no letter: not counted.
  find: (documentUuid, opts) => client.find(documentUuid, opts),
});
