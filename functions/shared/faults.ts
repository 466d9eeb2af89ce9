import { config } from './config.js';

/**
 * Fault injection for the resilience tests, on the local runtime only (config.isLocal()):
 * WORKER_FAULT="after-claim:2" makes the next two batches "die" right after their claim — the
 * invocation throws, nothing after that point runs, and the message comes back after its
 * visibility timeout, exactly as when a Lambda is killed. Never active in a deployed stack.
 */
export class InjectedCrash extends Error {
  constructor(point: string) {
    super(`injected crash at ${point}`);
  }
}

const state = { spec: '', left: 0 };

export const injectFault = (point: string): void => {
  if (!config.isLocal()) return;
  const spec = process.env.WORKER_FAULT ?? '';
  if (spec !== state.spec) {
    state.spec = spec;
    state.left = Number(spec.split(':')[1] ?? 0);
  }
  if (spec.startsWith(`${point}:`) && state.left > 0) {
    state.left--;
    throw new InjectedCrash(point);
  }
};
