import type { Channel } from '../../functions/domain/shared/channel.js';

/**
 * Fault injection for the resilience tests (moved here from the old local channel stand-in): read
 * from CHANNEL_FAULTS (JSON) in the process the fakes run in. Counted per call to the fake (one
 * letter), process-wide.
 */
export interface ChannelFaults {
  /** Fail this many calls (process-wide) before answering normally. */
  failCalls?: number;
  /**
   * Whether the injected failures are transient (503: nothing created, safe to retry on either
   * channel) or permanent (400); default transient.
   */
  transient?: boolean;
  /** The HTTP status the injected failures answer with (e.g. ePROM 502, 503, 504, 429), overriding `transient`. */
  failStatus?: number;
  /**
   * The first this many calls answer only after hangMs — and then deliver all the same (a caller
   * that gave up meanwhile left a letter behind: ePROM's in-doubt case; Digipost refuses the re-send).
   */
  hangCalls?: number;
  hangMs?: number;
  /** Delay every call by this many ms (a slow channel). */
  delayMs?: number;
  /** Only this channel misbehaves. */
  channel?: Channel;
}

const state = { consumed: 0, hung: 0, hanging: 0, spec: '' };

/** Calls hanging right now (received and held back by `hangCalls`): a test gives up on its call only once the fake holds it. */
export const hangingCalls = (): number => state.hanging;

/** What to do with this call: `fail` (transient or not), or go on after the waits were served. */
export const applyChannelFaults = async (channel: Channel): Promise<undefined | { fail: 'transient' | 'permanent'; status?: number }> => {
  const raw = process.env.CHANNEL_FAULTS;
  if (!raw) return undefined;
  if (raw !== state.spec) {
    state.spec = raw;
    state.consumed = 0;
    state.hung = 0;
  }
  const faults = JSON.parse(raw) as ChannelFaults;
  if (faults.channel && faults.channel !== channel) return undefined;
  if (faults.delayMs) await new Promise((r) => setTimeout(r, faults.delayMs));
  if (state.hung < (faults.hangCalls ?? 0)) {
    state.hung++;
    state.hanging++;
    await new Promise((r) => setTimeout(r, faults.hangMs ?? 1_000));
    state.hanging--;
  }
  if (state.consumed < (faults.failCalls ?? 0)) {
    state.consumed++;
    return { fail: (faults.transient ?? true) ? 'transient' : 'permanent', ...(faults.failStatus ? { status: faults.failStatus } : {}) };
  }
  return undefined;
};
