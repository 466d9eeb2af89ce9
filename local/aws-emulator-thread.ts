import { startAwsEmulator } from './emulators.js';
import { runThread } from './threads.js';

/** The SQS/S3 emulator on a thread of its own (local/emulators.ts `awsApart`): its address once listening. */
runThread<{ port?: number }, string>(async (data) => {
  const emulator = await startAwsEmulator(data);
  return { ready: emulator.address, stop: () => emulator.stop() };
});
