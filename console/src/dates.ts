/**
 * Times on the console are Norwegian time: the platform's users are in Norway, and a letter sent
 * "at 09:00" means 09:00 in Oslo whatever zone the browser's machine is set to.
 */
export const OSLO = 'Europe/Oslo';

/**
 * The one reading of the Oslo clock, to the second on a 24-hour clock (midnight is 00, never 24):
 * what the console shows (formatTime, in the UI's language) and what the wall-clock conversion
 * below parses.
 */
export const OSLO_CLOCK: Readonly<Intl.DateTimeFormatOptions> = {
  timeZone: OSLO,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
};

const parts = new Intl.DateTimeFormat('en-GB', OSLO_CLOCK);

/** Oslo's offset from UTC at instant `t` (ms): +1 h in winter, +2 h in summer. */
const osloOffset = (t: number): number => {
  const p = Object.fromEntries(parts.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return wall - Math.floor(t / 1000) * 1000;
};

const HOUR = 3_600_000;

/**
 * A wall-clock time in Oslo (`YYYY-MM-DDTHH:mm[:ss]`, what `<input type="datetime-local">` gives)
 * as an ISO 8601 UTC instant; undefined for anything else. Across the DST changes it does what the
 * clocks did: a time the spring change skips (02:00–02:59) moves forward by the gap, and a time the
 * autumn change repeats is the first of the two (still summer time).
 */
export const osloLocalToIso = (local: string): string | undefined => {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(wall);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h) return undefined;
  // The instants whose Oslo wall-clock reading is `wall`: at most two (autumn), none in the spring gap.
  const candidates = [2 * HOUR, HOUR].map((o) => wall - o).filter((t) => osloOffset(t) === wall - t);
  const t = candidates.length > 0 ? Math.min(...candidates) : wall - osloOffset(wall - 24 * HOUR);
  return new Date(t).toISOString();
};
