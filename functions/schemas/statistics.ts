import { z } from 'zod';

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM');

/** `?from=YYYY-MM&to=YYYY-MM`; the range rules (order, 24 months) are the domain's. */
export const statisticsQuery = z.object({ from: month, to: month });

const entry = z.object({
  organization: z.string(),
  month,
  channel: z.string().meta({ description: 'helsenorge, digital-mailbox, paper, or none for skipped letters' }),
  sent: z.number().int().min(0),
  skipped: z.number().int().min(0),
  failed: z.number().int().min(0),
});

export const statisticsView = z.object({ items: z.array(entry) });
