/**
 * Georedundant deployment settings (issue 25). Single-region stays the default; a stage becomes
 * georedundant with context `georedundant=true`, its regions from context `homeRegion`,
 * `secondaryRegion` and `witnessRegion` (defaults below). Plain data, no CDK imports.
 *
 * Why these defaults: the fence table (the rounds' homes; every other table is MREC,
 * docs/georedundancy.md) needs DynamoDB multi-region strong consistency (MRSC),
 * which AWS offers only inside a fixed region set; the EU set is Ireland (eu-west-1), London
 * (eu-west-2), Paris (eu-west-3) and Frankfurt (eu-central-1) — Stockholm (eu-north-1), the
 * single-region stage's home, is not in it. Frankfurt is the home (closest of the set to Norway),
 * Ireland the second full region (far enough for a separate failure domain), Paris the witness
 * (closest to Frankfurt, so an MRSC write in the home region waits for the shortest round trip).
 * If Stockholm must be the home, no table can be MRSC: see docs/georedundancy.md
 * ("If Stockholm must be the home").
 */

/** Regions that may hold an MRSC replica or witness (the EU region set). */
export const MRSC_EU_REGIONS = ['eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1'] as const;

export interface GeoSettings {
  /** Where rounds are homed by default and the stateful resources are defined. */
  readonly homeRegion: string;
  /** The second full region: replicas, its own key, queues and stateless stack. */
  readonly secondaryRegion: string;
  /** The MRSC witness of the `strong` table (the fence): no replica, no stack, no compute. */
  readonly witnessRegion: string;
}

export const GEO_DEFAULTS: GeoSettings = { homeRegion: 'eu-central-1', secondaryRegion: 'eu-west-1', witnessRegion: 'eu-west-3' };

/** Alias of each region's data key: fixed, so the home stack can name the replica's key by alias ARN. */
export const GEO_DATA_KEY_ALIAS = 'alias/research-dispatch/data';

/** The settings from context, or undefined for the single-region default. Fails on an invalid set. */
export const geoSettings = (context: (name: string) => string | undefined): GeoSettings | undefined => {
  if (context('georedundant') !== 'true') return undefined;
  const s: GeoSettings = {
    homeRegion: context('homeRegion') ?? GEO_DEFAULTS.homeRegion,
    secondaryRegion: context('secondaryRegion') ?? GEO_DEFAULTS.secondaryRegion,
    witnessRegion: context('witnessRegion') ?? GEO_DEFAULTS.witnessRegion,
  };
  const all = [s.homeRegion, s.secondaryRegion, s.witnessRegion];
  if (new Set(all).size !== 3) throw new Error(`context georedundant: home, secondary and witness regions must differ (${all.join(', ')})`);
  for (const r of all) {
    if (!(MRSC_EU_REGIONS as readonly string[]).includes(r)) {
      throw new Error(`context georedundant: ${r} is not in the EU MRSC region set (${MRSC_EU_REGIONS.join(', ')}); see docs/georedundancy.md`);
    }
  }
  return s;
};
