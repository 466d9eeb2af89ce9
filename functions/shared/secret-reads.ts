import { channel } from 'node:diagnostics_channel';
import type { IntegrationSecret } from '../../lib/access-matrix.js';

/**
 * A diagnostics channel on which code names each secret it reads (the name only, never the
 * value). Nothing subscribes in a Lambda, where publishing costs one property read; the IAM
 * contract test (local/aws-call-recorder.ts) subscribes to check every read against the reading
 * function's row of the access matrix — locally the secrets come from files and the environment,
 * so no Secrets Manager call would show them.
 */
export const SECRET_READS = 'research-dispatch:secret-read';
export interface SecretRead {
  readonly name: IntegrationSecret | 'citizenHashKey' | 'callbackSealKey';
}
const reads = channel(SECRET_READS);

export const noteSecretRead = (name: SecretRead['name']): void => {
  if (reads.hasSubscribers) reads.publish({ name } satisfies SecretRead);
};
