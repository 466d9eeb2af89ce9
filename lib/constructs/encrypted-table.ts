import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { KeyDef, TableDef } from '../resources.js';

const attribute = (k: KeyDef): dynamodb.Attribute => ({
  name: k.name,
  type: k.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
});

/**
 * A DynamoDB table built from its definition in resources.ts. Delivery records and citizen records
 * are health-adjacent personal data, so every table is encrypted with the platform's own key (its
 * use shows in CloudTrail and can be revoked), recoverable to any second of the last 35 days, and
 * retained if the stack is ever deleted.
 */
export class EncryptedTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: { def: TableDef; key: kms.IKey }) {
    super(scope, id);
    const { def, key } = props;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: attribute(def.partitionKey),
      sortKey: def.sortKey && attribute(def.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: def.ttlAttribute,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const ix of def.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: ix.name,
        partitionKey: attribute(ix.partitionKey),
        sortKey: ix.sortKey && attribute(ix.sortKey),
        // Same projection as the local runtime creates, so queries behave identically.
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }
}
