import {
  AlarmFactory,
  CheckovSkips,
  DataRemovalPolicy,
  DatasetSchema,
  NagAcknowledgements,
  SecureKey,
  SecureLogGroup,
  WildcardPermissions,
} from '@freshet/core';
import { Arn, ArnFormat, CustomResource, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as redshift from 'aws-cdk-lib/aws-redshift';
import * as redshiftserverless from 'aws-cdk-lib/aws-redshiftserverless';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';
import { DataApiConnection, DataApiStatement } from './data-api-statement';
import { TableDdlFunction } from './handlers/table-ddl-function';
import { IsolatedVpc } from './isolated-vpc';
import { NamespaceAdminSecret } from './namespace-admin-secret';
import { RedshiftWarehouseProps, StreamingIngestionOptions } from './redshift-warehouse-props';
import { ServerlessUsageLimit } from './serverless-usage-limit';
import { RedshiftSql } from './sql';
import { UsageLimitPeriod, WarehouseCompute, WarehouseComputeKind } from './warehouse-compute';

/** Options of {@link RedshiftWarehouse.copyTask}. */
export interface CopyTaskOptions {
  /**
   * The lake prefix to load, ending in `/`. It may hold {@link DataApiStatement.RUN_ID},
   * replaced by the run id, e.g. `curated/stocks/run=${DataApiStatement.RUN_ID}/` with `LoadMode.APPEND`.
   * @default - the warehouse's curated prefix
   */
  readonly prefix?: string;
  /**
   * Where the run id is, when `prefix` holds {@link DataApiStatement.RUN_ID}.
   * @default '$$.Execution.Name'
   */
  readonly runIdPath?: string;
  /**
   * Whether the load replaces the table's rows (DELETE then COPY, one transaction: a rerun
   * gives the same table) or appends to them (COPY only: load each new prefix once).
   * @default LoadMode.REPLACE
   */
  readonly mode?: LoadMode;
  /**
   * The state key of the result: `{ statementId, status }`.
   * @default 'copy'
   */
  readonly resultKey?: string;
  /**
   * How long to wait between status checks.
   * @default Duration.seconds(15)
   */
  readonly pollInterval?: Duration;
  /**
   * How many status checks before the load is cancelled and fails.
   * @default 240
   */
  readonly maxPolls?: number;
}

/** How a COPY treats the rows already in the table. */
export enum LoadMode {
  /** DELETE every row, then COPY, in one transaction: idempotent, readers never see an empty table. */
  REPLACE = 'replace',
  /** COPY only: rows are added, so each prefix must be loaded once. */
  APPEND = 'append',
}

/** Options of {@link RedshiftWarehouse.unloadSnapshotTask}. */
export interface UnloadSnapshotTaskOptions {
  /**
   * Where the run id is; the snapshot goes to `<snapshotPrefix><run id>/`.
   * @default '$$.Execution.Name'
   */
  readonly runIdPath?: string;
  /**
   * The state key of the result: `{ statementId, status, s3Uri }`.
   * @default 'snapshot'
   */
  readonly resultKey?: string;
  /**
   * How long to wait between status checks.
   * @default Duration.seconds(15)
   */
  readonly pollInterval?: Duration;
  /**
   * How many status checks before the unload is cancelled and fails.
   * @default 240
   */
  readonly maxPolls?: number;
}

const IDENTIFIER_PATTERN = /^[a-z_][a-z0-9_$]{0,126}$/;
const RESERVED_NAMES = new Set(['dev', 'padb_harvest', 'template0', 'template1', 'sys:internal', 'public', 'information_schema', 'pg_catalog']);
const LOG_EXPORTS = ['connectionlog', 'useractivitylog', 'userlog'];
/** Redshift's default port is 5439; a different one keeps default-port scanners out (cdk-nag RS3). */
const CLUSTER_PORT = 5440;

/**
 * The warehouse of a Freshet dataset: Redshift Serverless (or a provisioned
 * cluster) in private subnets, with the dataset's table created from its
 * schema, a COPY of the curated lake prefix and an UNLOAD of training
 * snapshots as Step Functions fragments, optional Kinesis streaming
 * ingestion, and alarms.
 *
 * Secure by default: the admin password is generated and kept by Redshift in
 * Secrets Manager (never in the template), a customer managed key encrypts the
 * data and the secret, traffic stays in the VPC (enhanced VPC routing, no
 * public access), TLS is required, and audit logs go to CloudWatch.
 */
export class RedshiftWarehouse extends Construct {
  /** The dataset. */
  public readonly schema: DatasetSchema;
  /** Serverless or provisioned, with every option resolved. */
  public readonly compute: WarehouseCompute;
  /** The database name. */
  public readonly databaseName: string;
  /** The schema that holds the table. */
  public readonly schemaName: string;
  /** The table's name. */
  public readonly tableName: string;
  /** `curated/<dataset>/` or the given prefix: what COPY loads. */
  public readonly curatedPrefix: string;
  /** `snapshots/<dataset>/` or the given prefix: where UNLOAD writes, one folder per run. */
  public readonly snapshotPrefix: string;
  /** The query UNLOAD writes. */
  public readonly snapshotQuery: string;
  /** The lake bucket. */
  public readonly lakeBucket: s3.IBucket;
  /** Encrypts the warehouse's data, its admin secret and its logs. */
  public readonly key: SecureKey;
  /** The VPC the warehouse runs in. */
  public readonly vpc: ec2.IVpc;
  /** The VPC the construct created, when none was given: isolated subnets in three Availability Zones. */
  public readonly createdVpc?: ec2.IVpc;
  /** The S3 gateway endpoint of the VPC the construct created: COPY and UNLOAD traffic stays in AWS's network. */
  public readonly s3Endpoint?: ec2.GatewayVpcEndpoint;
  /** The Kinesis interface endpoint of the VPC the construct created, with streaming ingestion. */
  public readonly kinesisEndpoint?: ec2.InterfaceVpcEndpoint;
  /** The flow log group of the VPC the construct created. */
  public readonly flowLogGroup?: SecureLogGroup;
  /**
   * The log groups the Serverless namespace exports its audit logs to
   * (`/aws/redshift/<namespace>/<log type>`), created here so they are
   * encrypted and have a retention, keyed by log type. Empty with provisioned
   * compute, whose log group names hold the generated cluster identifier.
   */
  public readonly auditLogGroups: Record<string, SecureLogGroup> = {};
  /** The warehouse's security group: no inbound rules; add your clients with `connections`. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Connections to the warehouse's port. */
  public readonly connections: ec2.Connections;
  /** The role Redshift assumes for COPY and UNLOAD: reads the curated prefix, writes the snapshot prefix. */
  public readonly lakeRole: iam.Role;
  /** The role Redshift assumes to read the Kinesis stream, with streaming ingestion. */
  public readonly streamingRole?: iam.Role;
  /** The Serverless namespace, with Serverless compute. */
  public readonly namespace?: redshiftserverless.CfnNamespace;
  /** The Serverless workgroup, with Serverless compute. */
  public readonly workgroup?: redshiftserverless.CfnWorkgroup;
  /** The Serverless usage limit (the cost cap), with Serverless compute. */
  public readonly usageLimit?: ServerlessUsageLimit;
  /** The provisioned cluster, with provisioned compute. */
  public readonly cluster?: redshift.CfnCluster;
  /** The cluster's parameter group (TLS required, user activity logging on), with provisioned compute. */
  public readonly clusterParameterGroup?: redshift.CfnClusterParameterGroup;
  /** The cluster's subnet group, with provisioned compute. */
  public readonly clusterSubnetGroup?: redshift.CfnClusterSubnetGroup;
  /** Reads the ARN of the admin secret Redshift created, with Serverless compute. */
  public readonly adminSecret?: NamespaceAdminSecret;
  /** The ARN of the admin secret Redshift manages (user name and password). */
  public readonly adminSecretArn: string;
  /** What the Data API needs to reach this warehouse. */
  public readonly dataApiConnection: DataApiConnection;
  /** Runs the table's DDL through the Data API. */
  public readonly tableDdlFunction: TableDdlFunction;
  /** The DDL function's log group. */
  public readonly tableDdlLogGroup: SecureLogGroup;
  /** The custom resource provider of the table and the streaming view. */
  public readonly tableDdlProvider: cr.Provider;
  /** The dataset table. */
  public readonly table: CustomResource;
  /** The external schema and auto-refreshed materialized view, with streaming ingestion. */
  public readonly streamingView?: CustomResource;
  /** The materialized view's name, with streaming ingestion. */
  public readonly streamingViewName?: string;
  /** Matches failed and aborted Data API statements of this warehouse; add targets to act on them. */
  public readonly statementFailedRule: events.Rule;
  /** The scheduled COPY's state machine, with `copySchedule`. */
  public readonly copyStateMachine?: sfn.StateMachine;
  /** The scheduled COPY's rule, with `copySchedule`. */
  public readonly copyScheduleRule?: events.Rule;
  /** The alarms. */
  public readonly alarms: AlarmFactory;
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  private readonly lakeKey?: kms.IKey;
  private readonly statementPrefix: string;

  constructor(scope: Construct, id: string, props: RedshiftWarehouseProps) {
    super(scope, id);
    const schema = props.schema;
    this.schema = schema;
    this.compute = props.compute ?? WarehouseCompute.serverless();
    this.databaseName = props.databaseName ?? 'freshet';
    this.schemaName = props.schemaName ?? 'freshet';
    this.tableName = props.tableName ?? schema.name;
    this.curatedPrefix = props.curatedPrefix ?? `curated/${schema.name}/`;
    this.snapshotPrefix = props.snapshotPrefix ?? `snapshots/${schema.name}/`;
    this.lakeBucket = props.lakeBucket;
    this.lakeKey = props.lakeKey ?? props.lakeBucket.encryptionKey;
    this.statementPrefix = `freshet.${schema.name}`;
    const table = RedshiftSql.qualifiedName({ schemaName: this.schemaName, tableName: this.tableName });
    this.snapshotQuery = props.snapshotQuery ?? `SELECT ${schema.columnNames.map((c) => RedshiftSql.quoteIdentifier(c)).join(', ')} FROM ${table}`;
    validateProps(this, props);
    const serverless = this.compute.kind === WarehouseComputeKind.SERVERLESS;

    this.key = new SecureKey(this, 'Key', { description: `Encrypts the ${schema.name} warehouse, its admin secret and logs`, removalPolicy: props.removalPolicy });
    this.key.grantCloudWatchLogs();

    // Network: private subnets only; S3 is reached through a gateway endpoint (enhanced VPC routing).
    if (props.vpc) {
      this.vpc = props.vpc;
    } else {
      this.flowLogGroup = new SecureLogGroup(this, 'FlowLogs', { encryptionKey: this.key, removalPolicy: props.removalPolicy });
      this.createdVpc = this.createVpc(this.flowLogGroup);
      this.vpc = this.createdVpc;
      this.s3Endpoint = this.createdVpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    }
    const subnets = this.vpc.selectSubnets(props.vpcSubnets ?? defaultSubnets(this.vpc));
    checkSubnets(this, subnets, serverless);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: `The ${schema.name} warehouse: no inbound rules until a client is allowed`,
      allowAllOutbound: false,
    });
    // The subnets have no internet route: HTTPS egress reaches S3 (gateway endpoint) and interface endpoints only.
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to S3 and AWS service endpoints in the VPC');
    const port = serverless ? 5439 : CLUSTER_PORT;
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup], defaultPort: ec2.Port.tcp(port) });
    if (this.createdVpc && props.streamingIngestion) {
      // Enhanced VPC routing sends streaming ingestion through the VPC too; only the warehouse may use the endpoint.
      const endpointGroup = new ec2.SecurityGroup(this, 'KinesisEndpointSecurityGroup', {
        vpc: this.vpc,
        description: `Kinesis endpoint of the ${schema.name} warehouse: HTTPS from the warehouse only`,
        allowAllOutbound: false,
      });
      endpointGroup.addIngressRule(this.securityGroup, ec2.Port.tcp(443), 'HTTPS from the warehouse');
      this.kinesisEndpoint = this.createdVpc.addInterfaceEndpoint('Kinesis', {
        service: ec2.InterfaceVpcEndpointAwsService.KINESIS_STREAMS,
        privateDnsEnabled: true,
        securityGroups: [endpointGroup],
        open: false,
      });
    }

    this.lakeRole = this.createLakeRole(serverless);
    if (this.s3Endpoint) {
      this.restrictS3Endpoint(this.s3Endpoint);
    }
    if (props.streamingIngestion) {
      this.streamingRole = this.createStreamingRole(props.streamingIngestion, serverless);
    }
    const roles = [this.lakeRole, ...(this.streamingRole ? [this.streamingRole] : [])];
    const adminUsername = props.adminUsername ?? 'freshet_admin';
    const removalPolicy = DataRemovalPolicy.of(this, props.removalPolicy);

    let resourceArn: string;
    let target: { workgroupName?: string; clusterIdentifier?: string };
    if (serverless) {
      const options = this.compute.serverlessOptions!;
      const name = physicalName(this, schema.name);
      this.createAuditLogGroups(name, props.removalPolicy);
      this.namespace = new redshiftserverless.CfnNamespace(this, 'Namespace', {
        namespaceName: name,
        dbName: this.databaseName,
        adminUsername,
        // Redshift generates the password, keeps it in Secrets Manager and rotates it: it never enters the template.
        manageAdminPassword: true,
        adminPasswordSecretKmsKeyId: this.key.keyArn,
        kmsKeyId: this.key.keyArn,
        iamRoles: roles.map((r) => r.roleArn),
        defaultIamRoleArn: this.lakeRole.roleArn,
        logExports: LOG_EXPORTS,
      });
      this.namespace.applyRemovalPolicy(removalPolicy);
      // Redshift exports into a log group that exists, instead of creating one that never expires.
      this.namespace.node.addDependency(...Object.values(this.auditLogGroups));
      this.workgroup = new redshiftserverless.CfnWorkgroup(this, 'Workgroup', {
        workgroupName: name,
        namespaceName: this.namespace.ref,
        baseCapacity: options.baseCapacityRpu,
        enhancedVpcRouting: true,
        publiclyAccessible: false,
        subnetIds: subnets.subnetIds,
        securityGroupIds: [this.securityGroup.securityGroupId],
        configParameters: [
          { parameterKey: 'require_ssl', parameterValue: 'true' },
          { parameterKey: 'enable_user_activity_logging', parameterValue: 'true' },
        ],
      });
      const apiCallLogs = new SecureLogGroup(this, 'ApiCallLogs', { encryptionKey: this.key, removalPolicy: props.removalPolicy });
      this.usageLimit = new ServerlessUsageLimit(this, 'UsageLimit', {
        workgroupArn: this.workgroup.attrWorkgroupWorkgroupArn,
        logGroup: apiCallLogs,
        rpuHours: options.usageLimitRpuHours!,
        period: options.usageLimitPeriod!,
        breachAction: options.breachAction!,
      });
      // CloudFormation does not return the managed secret's ARN, so it is read with GetNamespace.
      this.adminSecret = new NamespaceAdminSecret(this, 'AdminSecret', {
        namespaceName: this.namespace.ref,
        namespaceArn: this.namespace.attrNamespaceNamespaceArn,
        logGroup: apiCallLogs,
      });
      this.adminSecretArn = this.adminSecret.secretArn;
      resourceArn = this.workgroup.attrWorkgroupWorkgroupArn;
      target = { workgroupName: this.workgroup.attrWorkgroupWorkgroupName };
    } else {
      const options = this.compute.provisionedOptions!;
      this.clusterParameterGroup = new redshift.CfnClusterParameterGroup(this, 'ParameterGroup', {
        description: `The ${schema.name} warehouse: TLS required, user activity logged`,
        parameterGroupFamily: 'redshift-1.0',
        parameters: [
          { parameterName: 'require_ssl', parameterValue: 'true' },
          { parameterName: 'enable_user_activity_logging', parameterValue: 'true' },
        ],
      });
      this.clusterSubnetGroup = new redshift.CfnClusterSubnetGroup(this, 'SubnetGroup', {
        description: `Private subnets of the ${schema.name} warehouse`,
        subnetIds: subnets.subnetIds,
      });
      const multiNode = options.numberOfNodes! > 1;
      this.cluster = new redshift.CfnCluster(this, 'Cluster', {
        clusterType: multiNode ? 'multi-node' : 'single-node',
        nodeType: options.nodeType,
        numberOfNodes: multiNode ? options.numberOfNodes : undefined,
        dbName: this.databaseName,
        masterUsername: adminUsername,
        manageMasterPassword: true,
        masterPasswordSecretKmsKeyId: this.key.keyArn,
        encrypted: true,
        kmsKeyId: this.key.keyArn,
        publiclyAccessible: false,
        enhancedVpcRouting: true,
        port: CLUSTER_PORT,
        clusterSubnetGroupName: this.clusterSubnetGroup.ref,
        clusterParameterGroupName: this.clusterParameterGroup.ref,
        vpcSecurityGroupIds: [this.securityGroup.securityGroupId],
        iamRoles: roles.map((r) => r.roleArn),
        loggingProperties: { logDestinationType: 'cloudwatch', logExports: LOG_EXPORTS },
        automatedSnapshotRetentionPeriod: options.automatedSnapshotRetentionDays,
        preferredMaintenanceWindow: options.preferredMaintenanceWindow,
        allowVersionUpgrade: true,
      });
      // A destroyed cluster still leaves a final snapshot behind.
      this.cluster.applyRemovalPolicy(removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.SNAPSHOT : removalPolicy);
      this.adminSecretArn = this.cluster.attrMasterPasswordSecretArn;
      resourceArn = Arn.format({ service: 'redshift', resource: 'cluster', resourceName: this.cluster.ref, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, Stack.of(this));
      target = { clusterIdentifier: this.cluster.ref };
    }
    this.dataApiConnection = { database: this.databaseName, secretArn: this.adminSecretArn, secretKey: this.key, resourceArn, ...target };

    // The table, through the Data API.
    this.tableDdlLogGroup = new SecureLogGroup(this, 'TableDdlLogs', { encryptionKey: this.key, removalPolicy: props.removalPolicy });
    const ddlRole = new iam.Role(this, 'TableDdlRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${schema.name} warehouse's table DDL through the Redshift Data API`,
    });
    this.tableDdlFunction = new TableDdlFunction(this, 'TableDdlFunction', {
      description: `Creates the ${schema.name} table in the warehouse and adds new columns; never drops one`,
      role: ddlRole,
      logGroup: this.tableDdlLogGroup,
      timeout: Duration.minutes(10),
      memorySize: 256,
      tracing: lambda.Tracing.ACTIVE,
    });
    this.grantDataApi(ddlRole);
    this.tableDdlLogGroup.grantWrite(ddlRole);
    this.tableDdlProvider = new cr.Provider(this, 'TableDdlProvider', {
      onEventHandler: this.tableDdlFunction,
      logGroup: new SecureLogGroup(this, 'TableDdlProviderLogs', { encryptionKey: this.key, removalPolicy: props.removalPolicy }),
    });
    this.skipCheckovOnDdlFunctions();
    const targetProperties = serverless ? { WorkgroupName: target.workgroupName } : { ClusterIdentifier: target.clusterIdentifier };
    this.table = new CustomResource(this, 'Table', {
      serviceToken: this.tableDdlProvider.serviceToken,
      resourceType: 'Custom::FreshetRedshiftTable',
      properties: {
        Database: this.databaseName,
        ...targetProperties,
        SecretArn: this.adminSecretArn,
        SchemaName: this.schemaName,
        TableName: this.tableName,
        Columns: JSON.stringify(columnsOf(schema)),
        ...(resolvedDistKey(props, schema) ? { DistKey: resolvedDistKey(props, schema) } : {}),
        ...(resolvedSortKeys(props, schema) ? { SortKeys: JSON.stringify(resolvedSortKeys(props, schema)) } : {}),
      },
    });
    this.table.node.addDependency(...(serverless ? [this.workgroup!, this.usageLimit!] : [this.cluster!]));

    if (props.streamingIngestion) {
      this.streamingViewName = props.streamingIngestion.viewName ?? `${schema.name}_stream`;
      const externalSchema = props.streamingIngestion.externalSchemaName ?? `${schema.name}_kinesis`;
      this.streamingView = new CustomResource(this, 'StreamingView', {
        serviceToken: this.tableDdlProvider.serviceToken,
        resourceType: 'Custom::FreshetRedshiftStatements',
        properties: {
          Database: this.databaseName,
          ...targetProperties,
          SecretArn: this.adminSecretArn,
          // Run once on create (and again when the SQL changes); delete keeps the view.
          Statements: JSON.stringify([
            RedshiftSql.streamingExternalSchema({ schemaName: externalSchema, iamRoleArn: this.streamingRole!.roleArn }),
            RedshiftSql.streamingMaterializedView({
              viewSchema: this.schemaName,
              viewName: this.streamingViewName,
              externalSchema,
              streamName: props.streamingIngestion.stream.streamName,
              columns: columnsOf(schema),
            }),
          ]),
        },
      });
      this.streamingView.node.addDependency(this.table);
    }

    // Failed statements of this warehouse's loads and snapshots (the fragments send events with WithEvent).
    this.statementFailedRule = new events.Rule(this, 'StatementFailed', {
      description: `A Data API statement of the ${schema.name} warehouse failed or was aborted`,
      eventPattern: {
        source: ['aws.redshift-data'],
        detailType: ['Redshift Data Statement Status Change'],
        detail: { statementName: [{ prefix: `${this.statementPrefix}.` }], state: ['FAILED', 'ABORTED'] },
      },
    });

    if (props.copySchedule) {
      const machine = this.createCopyStateMachine(props.removalPolicy);
      this.copyStateMachine = machine;
      this.copyScheduleRule = new events.Rule(this, 'CopySchedule', {
        description: `Loads ${this.curatedPrefix} into the ${schema.name} warehouse on a schedule`,
        schedule: props.copySchedule,
        targets: [new targets.SfnStateMachine(machine)],
      });
      const eventsRole = machine.node.tryFindChild('EventsRole');
      if (eventsRole) {
        NagAcknowledgements.add(eventsRole.node.findChild('DefaultPolicy'), [{
          id: 'NIST.800.53.R5-IAMNoInlinePolicy',
          reason: 'aws-cdk-lib generates this policy for the schedule\'s role alone. Compensating control: it can only start this one state machine, and only EventBridge can assume it.',
        }]);
      }
    }

    this.alarms = new AlarmFactory(this, 'Alarms', props.alarms);
    this.createAlarms(props);
    this.dashboard = this.alarms.createDashboard('Dashboard', `${schema.name} warehouse`, this.dashboardWidgets());
    this.acknowledgeFindings();
  }

  /**
   * A Step Functions fragment that loads the curated prefix into the table
   * (`COPY ... FORMAT AS PARQUET`) and waits for it. By default the table's
   * rows are replaced in one transaction, so a rerun is harmless.
   *
   * Result at `$.copy` (or `resultKey`): `{ statementId, status: 'FINISHED' }`.
   */
  public copyTask(scope: Construct, id: string, options: CopyTaskOptions = {}): DataApiStatement {
    const prefix = options.prefix ?? this.curatedPrefix;
    if (!prefix.endsWith('/') || prefix.startsWith('/') || /['\\\s]/.test(prefix)) {
      throw new Error(`copyTask prefix '${prefix}' must end with '/', not start with one, and hold no quotes, backslashes or spaces, e.g. '${this.curatedPrefix}'.`);
    }
    const target = { schemaName: this.schemaName, tableName: this.tableName };
    const copy = RedshiftSql.copyParquet({ ...target, s3Uri: `s3://${this.lakeBucket.bucketName}/${prefix}`, iamRoleArn: this.lakeRole.roleArn });
    const mode = options.mode ?? LoadMode.REPLACE;
    const sqls = mode === LoadMode.REPLACE ? [`DELETE FROM ${RedshiftSql.qualifiedName(target)}`, copy] : [copy];
    return new DataApiStatement(scope, id, {
      connection: this.dataApiConnection,
      sqls,
      statementName: `${this.statementPrefix}.copy`,
      resultKey: options.resultKey ?? 'copy',
      runIdPath: options.runIdPath,
      pollInterval: options.pollInterval,
      maxPolls: options.maxPolls,
    });
  }

  /**
   * A Step Functions fragment that UNLOADs the snapshot query to
   * `s3://<lake>/<snapshotPrefix><run id>/` as CSV with a header (KMS-encrypted
   * with the lake key), and waits for it. The run id must be a plain name
   * (execution names are); a quote, backslash, slash or space fails the
   * fragment before any SQL runs.
   *
   * Result at `$.snapshot` (or `resultKey`): `{ statementId, status: 'FINISHED', s3Uri }`,
   * where `s3Uri` is the snapshot folder RetrainPipeline's preprocess step reads.
   */
  public unloadSnapshotTask(scope: Construct, id: string, options: UnloadSnapshotTaskOptions = {}): DataApiStatement {
    const s3Uri = `s3://${this.lakeBucket.bucketName}/${this.snapshotPrefix}${DataApiStatement.RUN_ID}/`;
    const unload = RedshiftSql.unload({
      query: this.snapshotQuery,
      s3Uri,
      iamRoleArn: this.lakeRole.roleArn,
      kmsKeyId: this.lakeKey?.keyArn,
    });
    return new DataApiStatement(scope, id, {
      connection: this.dataApiConnection,
      sqls: [unload],
      statementName: `${this.statementPrefix}.snapshot`,
      resultKey: options.resultKey ?? 'snapshot',
      runIdPath: options.runIdPath,
      outputS3Uri: s3Uri,
      pollInterval: options.pollInterval,
      maxPolls: options.maxPolls,
    });
  }

  /**
   * Lets a principal run statements on this warehouse through the Data API as
   * the admin user, and read the status and results of its own statements.
   */
  public grantDataApi(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['redshift-data:ExecuteStatement', 'redshift-data:BatchExecuteStatement'],
      resourceArns: [this.dataApiConnection.resourceArn],
    });
    // These actions take no resource ARN; the condition limits them to the caller's own statements, as the Data API documents.
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult', 'redshift-data:CancelStatement'],
      resourceArns: ['*'],
      conditions: { StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } },
    });
    iam.Grant.addToPrincipal({ grantee, actions: ['secretsmanager:GetSecretValue'], resourceArns: [this.adminSecretArn] });
    iam.Grant.addToPrincipal({ grantee, actions: ['kms:Decrypt'], resourceArns: [this.key.keyArn] });
    return grant;
  }

  /** checkov's Lambda checks on the table DDL function and its provider framework: CloudFormation invokes both. */
  private skipCheckovOnDdlFunctions(): void {
    const control = 'CloudFormation invokes it synchronously, once per change of the table resource, and rolls back on failure; '
      + 'it reaches only the Data API over TLS with IAM auth.';
    const onEvent = this.tableDdlProvider.node.findChild('framework-onEvent');
    for (const fn of [this.tableDdlFunction, onEvent]) {
      CheckovSkips.add(fn, [
        { id: 'CKV_AWS_115', comment: `No reserved concurrency needed: ${control}` },
        { id: 'CKV_AWS_116', comment: `No DLQ needed: ${control}` },
        { id: 'CKV_AWS_117', comment: `No VPC needed: ${control}` },
      ]);
    }
    CheckovSkips.add(onEvent, [
      { id: 'CKV_AWS_173', comment: 'aws-cdk-lib\'s provider framework holds only the handler\'s function name in its environment, no secret.' },
    ]);
  }

  private createVpc(flowLogs: SecureLogGroup): ec2.IVpc {
    // Serverless needs subnets in three Availability Zones; resolved at deploy time, so the template fits any
    // region and synth needs no Availability Zone lookup (no AWS credentials).
    const vpc = new IsolatedVpc(this, 'Vpc', { flowLogGroup: flowLogs, subnetGroupName: 'warehouse', availabilityZoneCount: 3 });
    NagAcknowledgements.add(vpc.resource, [{
      id: 'NIST.800.53.R5-VPCDefaultSecurityGroupClosed',
      reason: 'Nothing uses the default security group: the warehouse and endpoints have their own groups. Compensating control: the subnets are isolated (no internet route) and the warehouse group has no inbound rules.',
    }]);
    const flowLogRole = vpc.flowLog.node.tryFindChild('IAMRole');
    if (flowLogRole) {
      NagAcknowledgements.add(flowLogRole.node.findChild('DefaultPolicy'), [{
        id: 'NIST.800.53.R5-IAMNoInlinePolicy',
        reason: 'aws-cdk-lib generates this policy for the flow log role alone. Compensating control: it only writes to the flow log group, which is KMS-encrypted and retained.',
      }]);
    }
    return vpc.vpc;
  }

  private createAuditLogGroups(namespaceName: string, removalPolicy?: RemovalPolicy): void {
    for (const logType of LOG_EXPORTS) {
      this.auditLogGroups[logType] = new SecureLogGroup(this, `AuditLog-${logType}`, {
        logGroupName: `/aws/redshift/${namespaceName}/${logType}`,
        encryptionKey: this.key,
        removalPolicy,
      });
    }
  }

  /**
   * The endpoint carries only COPY and UNLOAD traffic (enhanced VPC routing):
   * its policy lets the lake role reach the lake bucket and nothing else, so
   * no credential used inside the VPC can move data to another bucket.
   * Redshift's own S3 traffic (backups, system tables) does not cross the
   * customer VPC, so no AWS-owned bucket is needed.
   */
  private restrictS3Endpoint(endpoint: ec2.GatewayVpcEndpoint): void {
    endpoint.addToPolicy(new iam.PolicyStatement({
      sid: 'LakeBucketOnlyForTheLakeRole',
      principals: [new iam.ArnPrincipal(this.lakeRole.roleArn)],
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListBucket', 's3:GetBucketLocation'],
      resources: [this.lakeBucket.bucketArn, this.lakeBucket.arnForObjects('*')],
    }));
  }

  private createLakeRole(serverless: boolean): iam.Role {
    const role = new iam.Role(this, 'LakeRole', {
      assumedBy: serverless
        ? new iam.CompositePrincipal(new iam.ServicePrincipal('redshift.amazonaws.com'), new iam.ServicePrincipal('redshift-serverless.amazonaws.com'))
        : new iam.ServicePrincipal('redshift.amazonaws.com'),
      description: `Redshift COPY reads ${this.curatedPrefix}, UNLOAD writes ${this.snapshotPrefix}`,
    });
    const bucket = this.lakeBucket;
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadCurated', actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${this.curatedPrefix}*`)] }));
    role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteSnapshots', actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [bucket.arnForObjects(`${this.snapshotPrefix}*`)] }));
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'ListOwnPrefixes',
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${this.curatedPrefix}*`, `${this.snapshotPrefix}*`] } },
    }));
    role.addToPolicy(new iam.PolicyStatement({ sid: 'BucketRegion', actions: ['s3:GetBucketLocation'], resources: [bucket.bucketArn] }));
    if (this.lakeKey) {
      role.addToPolicy(new iam.PolicyStatement({ sid: 'LakeKey', actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], resources: [this.lakeKey.keyArn] }));
    }
    WildcardPermissions.acknowledgeRolePolicy(role, {
      reason: 'COPY reads every object under the curated prefix and UNLOAD writes part files it names itself under the snapshot prefix. ' +
        'Compensating control: the role reads only this dataset\'s curated prefix, writes only its snapshot prefix, lists only those two, and only Redshift can assume it.',
      allowedFindings: [`Resource::*/${this.curatedPrefix}*`, `Resource::*/${this.snapshotPrefix}*`],
    });
    return role;
  }

  private createStreamingRole(options: StreamingIngestionOptions, serverless: boolean): iam.Role {
    const role = new iam.Role(this, 'StreamingRole', {
      assumedBy: serverless
        ? new iam.CompositePrincipal(new iam.ServicePrincipal('redshift.amazonaws.com'), new iam.ServicePrincipal('redshift-serverless.amazonaws.com'))
        : new iam.ServicePrincipal('redshift.amazonaws.com'),
      description: `Redshift streaming ingestion reads the ${this.schema.name} stream`,
    });
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'ReadStream',
      actions: ['kinesis:DescribeStreamSummary', 'kinesis:DescribeStream', 'kinesis:GetShardIterator', 'kinesis:GetRecords', 'kinesis:ListShards'],
      resources: [options.stream.streamArn],
    }));
    const streamKey = options.streamKey ?? options.stream.encryptionKey;
    if (streamKey) {
      role.addToPolicy(new iam.PolicyStatement({ sid: 'StreamKey', actions: ['kms:Decrypt'], resources: [streamKey.keyArn] }));
    }
    NagAcknowledgements.add(role.node.findChild('DefaultPolicy'), [{
      id: 'NIST.800.53.R5-IAMNoInlinePolicy',
      reason: 'The policy belongs to this role alone and is generated from its two statements. Compensating control: it reads one stream and decrypts with its key only, and only Redshift can assume it.',
    }]);
    return role;
  }

  private createCopyStateMachine(removalPolicy?: RemovalPolicy): sfn.StateMachine {
    const logGroup = new SecureLogGroup(this, 'CopyLogs', { encryptionKey: this.key, removalPolicy });
    const machine = new sfn.StateMachine(this, 'CopyStateMachine', {
      comment: `Loads ${this.curatedPrefix} into the ${this.schema.name} warehouse`,
      definitionBody: sfn.DefinitionBody.fromChainable(this.copyTask(this, 'Copy')),
      timeout: Duration.hours(2),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    DataApiStatement.acknowledgeStatusPolling(machine);
    return machine;
  }

  private createAlarms(props: RedshiftWarehouseProps): void {
    const name = this.schema.name;
    this.alarms.addAlarm('FailedStatements', {
      metric: AlarmFactory.ruleMatches(this.statementFailedRule),
      threshold: 0,
      description: `A load, snapshot or DDL statement of the ${name} warehouse failed or was aborted: look up the statement with redshift-data describe-statement, or SYS_QUERY_HISTORY.`,
      override: props.alarms?.failedStatements,
    });
    if (this.workgroup) {
      const options = this.compute.serverlessOptions!;
      const dailyShare = options.usageLimitRpuHours! / periodDays(options.usageLimitPeriod!);
      this.alarms.addAlarm('ComputeUsage', {
        metric: new cloudwatch.MathExpression({
          expression: 'computeSeconds / 3600',
          label: 'RPU-hours per day',
          usingMetrics: {
            computeSeconds: new cloudwatch.Metric({
              namespace: 'AWS/Redshift-Serverless',
              metricName: 'ComputeSeconds',
              dimensionsMap: { Workgroup: this.workgroup.workgroupName },
              statistic: 'Sum',
              period: Duration.days(1),
            }),
          },
          period: Duration.days(1),
        }),
        threshold: Math.round(dailyShare * 0.8 * 100) / 100,
        description: `The ${name} warehouse used more than 80% of its daily share of the ${options.usageLimitRpuHours} RPU-hour ${options.usageLimitPeriod} usage limit; at the limit it ${options.breachAction}s. Raise usageLimitRpuHours or look for runaway queries.`,
        override: props.alarms?.computeUsage,
      });
    }
    if (this.cluster) {
      const clusterMetric = (metricName: string) => new cloudwatch.Metric({
        namespace: 'AWS/Redshift',
        metricName,
        dimensionsMap: { ClusterIdentifier: this.cluster!.ref },
        statistic: 'Average',
        period: Duration.minutes(5),
      });
      this.alarms.addAlarm('CpuUtilization', {
        metric: clusterMetric('CPUUtilization'),
        threshold: 90,
        evaluationPeriods: 3,
        description: `The ${name} cluster's CPU stayed above 90% for 15 minutes: add nodes or move to Serverless.`,
        override: props.alarms?.cpuUtilization,
      });
      this.alarms.addAlarm('DiskSpaceUsed', {
        metric: clusterMetric('PercentageDiskSpaceUsed'),
        threshold: 80,
        description: `The ${name} cluster's disks are more than 80% full: resize, or vacuum and drop unneeded data.`,
        override: props.alarms?.diskSpaceUsed,
      });
    }
    if (this.copyStateMachine) {
      this.alarms.addAlarm('FailedScheduledLoads', {
        metric: this.copyStateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 0,
        description: `A scheduled load of ${this.curatedPrefix} into the ${name} warehouse failed: read the execution's history.`,
        override: props.alarms?.failedScheduledLoads,
      });
    }
  }

  private dashboardWidgets(): cloudwatch.IWidget[] {
    if (this.workgroup) {
      const metric = (metricName: string, statistic: string) => new cloudwatch.Metric({
        namespace: 'AWS/Redshift-Serverless',
        metricName,
        dimensionsMap: { Workgroup: this.workgroup!.workgroupName },
        statistic,
        period: Duration.minutes(5),
      });
      return [
        new cloudwatch.GraphWidget({ title: 'RPUs in use', left: [metric('ComputeCapacity', 'Average')], width: 12 }),
        new cloudwatch.GraphWidget({ title: 'RPU-seconds', left: [metric('ComputeSeconds', 'Sum')], width: 12 }),
      ];
    }
    return [];
  }

  /** Findings on resources aws-cdk-lib generates for the custom resources, each on its own construct. */
  private acknowledgeFindings(): void {
    const control = 'Compensating control: the role is limited to this warehouse, its admin secret and key, and the function runs only during deployments.';
    NagAcknowledgements.add(this.tableDdlFunction, [
      {
        id: 'NIST.800.53.R5-LambdaInsideVPC',
        reason: `The function only calls the Redshift Data API, a regional AWS endpoint, over TLS with IAM signatures; it needs no path into the VPC. ${control}`,
      },
      {
        id: 'NIST.800.53.R5-LambdaDLQ',
        reason: `The custom resource provider invokes the function synchronously and reports a failure to CloudFormation, which rolls back. ${control}`,
      },
      {
        id: 'NIST.800.53.R5-LambdaConcurrency',
        reason: `CloudFormation invokes the function once per table change; reserving concurrency would only take it from the account. ${control}`,
      },
    ]);
    const ddlRole = this.tableDdlFunction.role as iam.Role;
    WildcardPermissions.acknowledgeRolePolicy(ddlRole, {
      reason: `DescribeStatement, GetStatementResult and CancelStatement take no resource ARN; they are limited to the function's own statements by the statement-owner condition, and X-Ray takes no resource. ${control}`,
      allowedFindings: ['Resource::*', 'Resource::<*TableDdlLogs*.Arn>:*'],
    });
    acknowledgeProviderFramework(this.tableDdlProvider);
  }
}

/** The provider framework's own function, role and policy, as aws-cdk-lib builds them. */
function acknowledgeProviderFramework(provider: cr.Provider): void {
  const onEvent = provider.node.tryFindChild('framework-onEvent') as lambda.Function | undefined;
  if (!onEvent) return;
  const control = 'Compensating control: aws-cdk-lib\'s provider framework only relays CloudFormation events to the DDL function, runs only during deployments, and its role can invoke only that function.';
  NagAcknowledgements.add(onEvent, [
    { id: 'NIST.800.53.R5-LambdaInsideVPC', reason: `The framework calls Lambda and CloudFormation's response URL only. ${control}` },
    { id: 'NIST.800.53.R5-LambdaDLQ', reason: `CloudFormation invokes the framework and rolls back on failure. ${control}` },
    { id: 'NIST.800.53.R5-LambdaConcurrency', reason: `CloudFormation invokes the framework once per resource change. ${control}` },
    { id: 'AwsSolutions-L1', reason: `aws-cdk-lib chooses the framework's runtime and upgrades it with the library. ${control}` },
  ]);
  const role = onEvent.role as iam.Role;
  NagAcknowledgements.add(role, [
    { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: `aws-cdk-lib gives the framework the basic execution policy for its logs. ${control}` },
  ]);
  WildcardPermissions.acknowledgeRolePolicy(role, {
    reason: `The framework invokes every version of the DDL function (its ARN with :*). ${control}`,
    allowedFindings: ['Resource::<*TableDdlFunction*.Arn>:*'],
  });
}

function columnsOf(schema: DatasetSchema): Array<{ name: string; type: string; nullable: boolean; maxLength?: number }> {
  return schema.columns.map((c) => ({
    name: c.name,
    type: c.type,
    nullable: c.nullable,
    ...(c.type === 'string' ? { maxLength: c.maxLength } : {}),
  }));
}

function resolvedDistKey(props: RedshiftWarehouseProps, schema: DatasetSchema): string | undefined {
  return props.distKey ?? schema.idColumn;
}

function resolvedSortKeys(props: RedshiftWarehouseProps, schema: DatasetSchema): string[] | undefined {
  return props.sortKeys ?? (schema.eventTimeColumn ? [schema.eventTimeColumn] : undefined);
}

function periodDays(period: UsageLimitPeriod): number {
  switch (period) {
    case UsageLimitPeriod.DAILY: return 1;
    case UsageLimitPeriod.WEEKLY: return 7;
    case UsageLimitPeriod.MONTHLY: return 30;
  }
}

/** A namespace and workgroup name: 3–64 lower case letters, digits and hyphens, unique per stack path. */
function physicalName(scope: IConstruct, dataset: string): string {
  const suffix = Names.uniqueId(scope).slice(-8).toLowerCase().replace(/[^a-z0-9]/g, '');
  return `freshet-${dataset.replace(/_/g, '-')}`.slice(0, 55).replace(/-+$/, '') + `-${suffix}`;
}

function defaultSubnets(vpc: ec2.IVpc): ec2.SubnetSelection {
  return vpc.isolatedSubnets.length > 0 ? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } : { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
}

function checkSubnets(scope: RedshiftWarehouse, subnets: ec2.SelectedSubnets, serverless: boolean): void {
  const azs = new Set(subnets.availabilityZones);
  if (serverless && (subnets.subnetIds.length < 3 || azs.size < 3)) {
    throw new Error(
      `RedshiftWarehouse '${scope.node.path}': Redshift Serverless needs at least 3 subnets in 3 Availability Zones, but vpcSubnets selects ${subnets.subnetIds.length} in ${azs.size}: ` +
        'select more subnets, give a VPC with 3 Availability Zones, or leave vpc unset to create one.',
    );
  }
  if (subnets.hasPublic) {
    throw new Error(`RedshiftWarehouse '${scope.node.path}': vpcSubnets selects public subnets: select private or isolated subnets; the warehouse is never publicly reachable.`);
  }
}

function validateProps(warehouse: RedshiftWarehouse, props: RedshiftWarehouseProps): void {
  const problems: string[] = [];
  const identifier = (what: string, value: string) => {
    if (!IDENTIFIER_PATTERN.test(value)) {
      problems.push(`${what} '${value}' is not a Redshift identifier Freshet accepts: use lower case letters, digits and underscores, starting with a letter or underscore, at most 127 characters.`);
    }
  };
  identifier('databaseName', warehouse.databaseName);
  if (RESERVED_NAMES.has(warehouse.databaseName)) {
    problems.push(`databaseName '${warehouse.databaseName}' is reserved by Redshift: choose another, e.g. 'freshet'.`);
  }
  identifier('schemaName', warehouse.schemaName);
  if (['information_schema', 'pg_catalog'].includes(warehouse.schemaName) || warehouse.schemaName.startsWith('pg_')) {
    problems.push(`schemaName '${warehouse.schemaName}' is a system schema: choose another, e.g. 'freshet'.`);
  }
  identifier('tableName', warehouse.tableName);
  if (props.adminUsername !== undefined) {
    if (!/^[a-z][a-z0-9_]{0,127}$/.test(props.adminUsername) || props.adminUsername === 'awsuser' || RESERVED_NAMES.has(props.adminUsername)) {
      problems.push(`adminUsername '${props.adminUsername}' must be lower case letters, digits and underscores starting with a letter, and not a default or reserved name such as 'awsuser'.`);
    }
  }
  for (const [name, prefix] of [['curatedPrefix', warehouse.curatedPrefix], ['snapshotPrefix', warehouse.snapshotPrefix]] as const) {
    if (!prefix.endsWith('/') || prefix.startsWith('/') || /['\\\s]/.test(prefix)) {
      problems.push(`${name} '${prefix}' must end with '/', not start with one, and hold no quotes, backslashes or spaces, e.g. '${name === 'curatedPrefix' ? 'curated' : 'snapshots'}/${props.schema.name}/'.`);
    }
  }
  if (warehouse.curatedPrefix.startsWith(warehouse.snapshotPrefix) || warehouse.snapshotPrefix.startsWith(warehouse.curatedPrefix)) {
    problems.push(`curatedPrefix '${warehouse.curatedPrefix}' and snapshotPrefix '${warehouse.snapshotPrefix}' overlap: UNLOAD would write into what COPY loads; keep them apart.`);
  }
  const columns = props.schema.columnNames;
  if (props.distKey !== undefined && !columns.includes(props.distKey)) {
    problems.push(`distKey '${props.distKey}' is not a column: use one of ${columns.join(', ')}.`);
  }
  for (const key of props.sortKeys ?? []) {
    if (!columns.includes(key)) problems.push(`sortKeys names '${key}', which is not a column: use columns from ${columns.join(', ')}.`);
  }
  if (props.snapshotQuery !== undefined && !/^\s*(select|with)\b/i.test(props.snapshotQuery)) {
    problems.push('snapshotQuery must be a single SELECT (or WITH ... SELECT) statement.');
  }
  const streaming = props.streamingIngestion;
  if (streaming) {
    if (streaming.carriesAggregatedRecords) {
      problems.push(
        'Redshift streaming ingestion cannot read KPL-aggregated records: the stream carries them because StreamingIngest\'s csvUploadSource writes aggregated records. ' +
          'Stream from a StreamingIngest without csvUploadSource (e.g. the IoT source only), or drop streamingIngestion and load the lake with copyTask.',
      );
    }
    if (streaming.viewName !== undefined) identifier('streamingIngestion.viewName', streaming.viewName);
    if (streaming.externalSchemaName !== undefined) identifier('streamingIngestion.externalSchemaName', streaming.externalSchemaName);
    const view = streaming.viewName ?? `${props.schema.name}_stream`;
    if (view === warehouse.tableName) {
      problems.push(`streamingIngestion.viewName '${view}' is the table's name: choose another view name.`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`Invalid RedshiftWarehouse props for '${props.schema.name}':\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
