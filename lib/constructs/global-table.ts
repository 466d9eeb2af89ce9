import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { GeoSettings } from '../georedundancy.js';
import { GEO_DATA_KEY_ALIAS } from '../georedundancy.js';
import { physicalName, type KeyDef, type TableDef } from '../resources.js';

const attribute = (k: KeyDef): dynamodb.Attribute => ({
  name: k.name,
  type: k.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
});

/** Physical table name of a georedundant stage: the same in every region (a global table's replicas share it). */
export const globalTableName = (stage: string, def: Pick<TableDef, 'id'>): string => physicalName(stage, def.id);

/**
 * A table of a georedundant stage (lib/georedundancy.ts) as a DynamoDB global table (TableV2),
 * defined in the home region's stateful stack with a replica in the secondary region.
 * A `strong` table is MRSC with a witness and no TTL (MRSC supports none); an `eventual` one is
 * an MREC replica and keeps its TTL (TableDef.multiRegion says which may be which). Each replica is encrypted with
 * its own region's data key (named by its fixed alias), and recoverable, protected and retained as
 * the single-region table is.
 */
export class GlobalTable extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: { def: TableDef; key: kms.IKey; geo: GeoSettings; stage: string }) {
    super(scope, id);
    const { def, key, geo } = props;
    const strong = def.multiRegion === 'strong';
    const replicaKeyArn = `arn:${Stack.of(this).partition}:kms:${geo.secondaryRegion}:${Stack.of(this).account}:${GEO_DATA_KEY_ALIAS}`;
    this.table = new dynamodb.TableV2(this, 'Table', {
      tableName: globalTableName(props.stage, def),
      partitionKey: attribute(def.partitionKey),
      sortKey: def.sortKey && attribute(def.sortKey),
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(key, { [geo.secondaryRegion]: replicaKeyArn }),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: strong ? undefined : def.ttlAttribute,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      replicas: [{ region: geo.secondaryRegion, deletionProtection: true }],
      ...(strong ? { multiRegionConsistency: dynamodb.MultiRegionConsistency.STRONG, witnessRegion: geo.witnessRegion } : {}),
      globalSecondaryIndexes: def.indexes.map((ix) => ({
        indexName: ix.name,
        partitionKey: attribute(ix.partitionKey),
        sortKey: ix.sortKey && attribute(ix.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      })),
    });
  }
}
