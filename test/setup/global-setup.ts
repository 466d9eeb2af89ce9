import type { TestProject } from 'vitest/node';
import { startEmulators } from '../../local/emulators.js';

declare module 'vitest' {
  export interface ProvidedContext {
    emulators: { dynamoEndpoint: string; awsEndpoint: string };
  }
}

/** Starts DynamoDB Local and the SQS/S3 emulator once for the run; stops them (and java) after. */
export default async function setup(project: TestProject) {
  const emulators = await startEmulators();
  project.provide('emulators', { dynamoEndpoint: emulators.dynamoEndpoint, awsEndpoint: emulators.awsEndpoint });
  return async () => {
    await emulators.stop();
  };
}
