import { DatasetSchema } from '@freshet/core';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DerivedColumn, Derivation } from './glue-etl-props';

/** Properties of {@link LakeTables}. */
export interface LakeTablesProps {
  /** The dataset. */
  readonly schema: DatasetSchema;
  /** The lake bucket. */
  readonly lakeBucket: s3.IBucket;
  /** The Glue database name. */
  readonly databaseName: string;
  /** The raw prefix, ending in `/`. */
  readonly rawPrefix: string;
  /** The curated prefix, ending in `/`. */
  readonly curatedPrefix: string;
  /**
   * Columns the ETL job adds to curated rows.
   * @default - none
   */
  readonly derivedColumns?: DerivedColumn[];
  /**
   * The removal policy of the catalog resources.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const DERIVED_TYPES: Record<Derivation, glue.Type> = {
  [Derivation.HOUR]: glue.Schema.INTEGER,
  [Derivation.DAY_OF_WEEK]: glue.Schema.INTEGER,
  [Derivation.DATE]: glue.Schema.STRING,
};

/**
 * The Glue database and the two tables of a dataset, both from its schema:
 * `raw` (JSON lines as Firehose writes them, with partition projection over
 * year/month/day/hour, so no crawler is needed) and `curated` (Parquet,
 * partitioned by year/month/day; the ETL job adds partitions).
 */
export class LakeTables extends Construct {
  /** The database. */
  public readonly database: glue.Database;
  /** The raw table. */
  public readonly rawTable: glue.S3Table;
  /** The curated table. */
  public readonly curatedTable: glue.S3Table;

  constructor(scope: Construct, id: string, props: LakeTablesProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const columns: glue.Column[] = props.schema.toGlueColumns().map((c) => ({
      name: c.name,
      type: { inputString: c.type, isPrimitive: true },
      comment: c.comment,
    }));
    const partition = (name: string): glue.Column => ({ name, type: glue.Schema.STRING });

    this.database = new glue.Database(this, 'Database', { databaseName: props.databaseName, removalPolicy });

    this.rawTable = new glue.S3Table(this, 'Raw', {
      database: this.database,
      tableName: `${props.schema.name}_raw`,
      description: `Raw ${props.schema.name} records as delivered, one JSON object a line.`,
      storage: glue.S3TableStorage.fromBucket(props.lakeBucket),
      s3Prefix: props.rawPrefix,
      columns,
      partitionKeys: ['year', 'month', 'day', 'hour'].map(partition),
      dataFormat: glue.DataFormat.JSON,
      partitionProjection: {
        year: glue.PartitionProjectionConfiguration.integer({ min: 2020, max: 2100 }),
        month: glue.PartitionProjectionConfiguration.integer({ min: 1, max: 12, digits: 2 }),
        day: glue.PartitionProjectionConfiguration.integer({ min: 1, max: 31, digits: 2 }),
        hour: glue.PartitionProjectionConfiguration.integer({ min: 0, max: 23, digits: 2 }),
      },
    });
    this.curatedTable = new glue.S3Table(this, 'Curated', {
      database: this.database,
      tableName: `${props.schema.name}_curated`,
      description: `Typed, de-duplicated ${props.schema.name} records (snappy Parquet), written by the Freshet ETL job.`,
      storage: glue.S3TableStorage.fromBucket(props.lakeBucket),
      s3Prefix: props.curatedPrefix,
      columns: [
        ...columns,
        ...(props.derivedColumns ?? []).map((d) => ({ name: d.name, type: DERIVED_TYPES[d.derivation] })),
      ],
      partitionKeys: ['year', 'month', 'day'].map(partition),
      dataFormat: glue.DataFormat.PARQUET,
    });
    for (const table of [this.rawTable, this.curatedTable]) {
      (table.node.defaultChild as glue.CfnTable).applyRemovalPolicy(removalPolicy);
    }
  }
}
