/**
 * The API's response shapes the console reads, taken from the server's own definitions — types
 * only: `import type` is erased, so no server code reaches the console's bundle, and a change on
 * the server that the console does not follow fails `tsc -p console`.
 */
import type { z } from 'zod';
import type { BrakeSettings } from '../../functions/domain/projects/project';
import type { MinorsPreflight, Preflight as RoundPreflight, Reach } from '../../functions/domain/rounds/round';
import type { statisticsView } from '../../functions/schemas/statistics';

export type { BrakeSettings, MinorsPreflight, Reach };

/**
 * A round's pre-flight report. Rounds made before a field existed lack it (`deceased`, `notFound`,
 * the `minors` block, `reach`), so all but the first counts are optional here.
 */
export type Preflight = Pick<RoundPreflight, 'total' | 'eligible' | 'reserved' | 'withdrawn' | 'alreadySent' | 'invalid'> &
  Partial<RoundPreflight> & { readonly minors?: MinorsPreflight; readonly reach?: Reach };

/** A row of GET /operations/statistics. */
export type StatisticsItem = z.infer<typeof statisticsView>['items'][number];
