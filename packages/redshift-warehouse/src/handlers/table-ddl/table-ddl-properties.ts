import { RedshiftColumn } from '../../sql/redshift-sql-props';

/** Where the Data API runs statements: a Serverless workgroup or a provisioned cluster. */
export type DataApiTarget = { readonly WorkgroupName: string } | { readonly ClusterIdentifier: string };

/** Where and as whom a resource's statements run. */
export interface ConnectionProperties {
  readonly database: string;
  readonly target: DataApiTarget;
  /** The admin secret the Data API authenticates with: no user or password is ever passed. */
  readonly secretArn: string;
}

/** The table custom resource's properties, parsed and checked. */
export interface TableDdlProperties extends ConnectionProperties {
  readonly schemaName: string;
  readonly tableName: string;
  readonly columns: RedshiftColumn[];
  readonly distKey?: string;
  readonly sortKeys?: string[];
}

/** A statements resource's properties: SQL run in order on create, and again when it changes. */
export interface StatementsProperties extends ConnectionProperties {
  readonly statements: string[];
}

type Reader = (key: string, required: boolean) => string | undefined;

/**
 * Reads the ResourceProperties CloudFormation sends (every value a string;
 * `Columns`, `SortKeys` and `Statements` are JSON) and says what is wrong with them.
 */
export class TableDdlPropertiesParser {
  /** Whether the properties describe a statements resource (`Statements`) rather than a table. */
  public static isStatements(raw: Record<string, unknown> | undefined): boolean {
    return raw?.Statements !== undefined;
  }

  public static parse(raw: Record<string, unknown> | undefined): TableDdlProperties {
    const props = raw ?? {};
    const text = TableDdlPropertiesParser.reader(props);
    const connection = TableDdlPropertiesParser.connection(text);
    const columns = TableDdlPropertiesParser.json<RedshiftColumn[]>(text('Columns', true)!, 'Columns');
    if (!Array.isArray(columns) || columns.length === 0) {
      throw new Error('The table custom resource\'s Columns must be a JSON array of at least one {name, type, nullable}.');
    }
    const normalised = columns.map((c, i) => {
      if (!c || typeof c.name !== 'string' || typeof c.type !== 'string') {
        throw new Error(`Columns[${i}] must be {"name": string, "type": string, "nullable": boolean}, got ${JSON.stringify(c)}.`);
      }
      // CloudFormation stringifies booleans and numbers nested in properties too.
      const nullable = c.nullable === true || (c.nullable as unknown) === 'true';
      const maxLength = c.maxLength === undefined ? undefined : Number(c.maxLength);
      return { name: c.name, type: c.type, nullable, ...(maxLength !== undefined ? { maxLength } : {}) };
    });
    const sortKeysText = text('SortKeys', false);
    const sortKeys = sortKeysText === undefined ? undefined : TableDdlPropertiesParser.json<string[]>(sortKeysText, 'SortKeys');
    if (sortKeys !== undefined && (!Array.isArray(sortKeys) || sortKeys.some((k) => typeof k !== 'string'))) {
      throw new Error('The table custom resource\'s SortKeys must be a JSON array of column names.');
    }
    return {
      ...connection,
      schemaName: text('SchemaName', true)!,
      tableName: text('TableName', true)!,
      columns: normalised,
      distKey: text('DistKey', false),
      sortKeys,
    };
  }

  public static parseStatements(raw: Record<string, unknown> | undefined): StatementsProperties {
    const props = raw ?? {};
    if (props.TableName !== undefined || props.Columns !== undefined) {
      throw new Error('A custom resource has either Statements or TableName/Columns, not both: split it into two resources.');
    }
    const text = TableDdlPropertiesParser.reader(props);
    const connection = TableDdlPropertiesParser.connection(text);
    const statements = TableDdlPropertiesParser.json<string[]>(text('Statements', true)!, 'Statements');
    if (!Array.isArray(statements) || statements.length === 0 || statements.some((sql) => typeof sql !== 'string' || sql.trim() === '')) {
      throw new Error('The statements custom resource\'s Statements must be a JSON array of at least one SQL statement.');
    }
    return { ...connection, statements };
  }

  private static connection(text: Reader): ConnectionProperties {
    const workgroup = text('WorkgroupName', false);
    const cluster = text('ClusterIdentifier', false);
    if ((workgroup === undefined) === (cluster === undefined)) {
      throw new Error('The custom resource needs exactly one of WorkgroupName (Redshift Serverless) or ClusterIdentifier (provisioned cluster).');
    }
    return {
      database: text('Database', true)!,
      target: workgroup !== undefined ? { WorkgroupName: workgroup } : { ClusterIdentifier: cluster! },
      secretArn: text('SecretArn', true)!,
    };
  }

  private static reader(props: Record<string, unknown>): Reader {
    return (key, required) => {
      const value = props[key];
      if (value === undefined || value === '') {
        if (required) {
          throw new Error(`The custom resource needs the ${key} property: set it on the resource.`);
        }
        return undefined;
      }
      if (typeof value !== 'string') {
        throw new Error(`The custom resource's ${key} property must be a string, got ${typeof value}.`);
      }
      return value;
    };
  }

  private static json<T>(value: string, key: string): T {
    try {
      return JSON.parse(value) as T;
    } catch (error) {
      throw new Error(`The custom resource's ${key} property is not valid JSON (${(error as Error).message}).`);
    }
  }

  private constructor() {}
}
