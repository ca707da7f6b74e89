import { ColumnType, DatasetSchema } from '@freshet/core';
import { Template } from 'aws-cdk-lib/assertions';
import { PredictApi } from '../src';
import { pollutionSchema, stocksSchema } from './fixtures/datasets';
import { synthEndpoint } from './fixtures/endpoint';
import { contentLengthAbovePattern } from '../src/content-length-rule';

/**
 * The size rules of AWS managed rule groups that look at the request body, as AWS documents them
 * (docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html, core rule set):
 * SizeRestrictions_BODY blocks a body over 8 KB.
 */
const MANAGED_BODY_SIZE_RULES: Record<string, Record<string, number>> = {
  AWSManagedRulesCommonRuleSet: { SizeRestrictions_BODY: 8 * 1024 },
};

/**
 * The widest value a column can hold in a request body, in JSON bytes: strings at their maxLength of a
 * character JSON escapes to six bytes (\u0001), the longest double, an ISO 8601 time with fraction and offset.
 */
function widestValue(column: { type: ColumnType; maxLength: number }): unknown {
  switch (column.type) {
    case ColumnType.STRING: return '\u0001'.repeat(column.maxLength);
    case ColumnType.DOUBLE: return -2.2250738585072014e-308;
    case ColumnType.INT: return -2147483648;
    case ColumnType.BIGINT: return -9007199254740991;
    case ColumnType.BOOLEAN: return false;
    case ColumnType.TIMESTAMP: return '2024-12-31T23:59:59.999999+05:30';
    default: throw new Error(`no widest value for ${column.type}`);
  }
}

/** The widest record of the schema's features, as a client sends it. */
function widestRecord(schema: DatasetSchema): Record<string, unknown> {
  return Object.fromEntries(schema.columns.filter((c) => c.name !== schema.targetColumn).map((c) => [c.name, widestValue(c)]));
}

/** Every statement of a rule, nested ones included. */
function statements(statement: any): any[] {
  if (!statement || typeof statement !== 'object') return [];
  const nested = [
    ...(statement.AndStatement?.Statements ?? []), ...(statement.OrStatement?.Statements ?? []),
    statement.NotStatement?.Statement, statement.RateBasedStatement?.ScopeDownStatement,
  ].filter(Boolean);
  return [statement, ...nested.flatMap(statements)];
}

/** The size limits the web ACL enforces on a body of `bytes`: each an error message when the body would be blocked. */
function blockedBy(acl: any, bytes: number): string[] {
  const blocks: string[] = [];
  for (const rule of acl.Rules) {
    for (const statement of statements(rule.Statement)) {
      const group = statement.ManagedRuleGroupStatement;
      if (group) {
        const counted = new Set([
          ...(group.RuleActionOverrides ?? []).filter((o: any) => o.ActionToUse?.Count).map((o: any) => o.Name),
          ...(group.ExcludedRules ?? []).map((e: any) => e.Name),
        ]);
        for (const [name, limit] of Object.entries(MANAGED_BODY_SIZE_RULES[group.Name] ?? {})) {
          if (!counted.has(name) && bytes > limit) blocks.push(`${group.Name}/${name} blocks bodies over ${limit} bytes`);
        }
      }
      const size = statement.SizeConstraintStatement;
      if (size?.FieldToMatch?.Body !== undefined && ['GT', 'GE'].includes(size.ComparisonOperator)
        && (size.ComparisonOperator === 'GT' ? bytes > size.Size : bytes >= size.Size)) {
        blocks.push(`${rule.Name} blocks bodies ${size.ComparisonOperator} ${size.Size} bytes`);
      }
      const regex = statement.RegexMatchStatement;
      if (regex?.FieldToMatch?.SingleHeader?.Name?.toLowerCase() === 'content-length' && new RegExp(regex.RegexString).test(String(bytes))) {
        blocks.push(`${rule.Name} blocks Content-Length ${bytes}`);
      }
    }
  }
  return blocks;
}

/** The proxy's body limit (MAX_BODY_BYTES, 413 above it). */
const API_BODY_LIMIT = 5 * 1024 * 1024;

function webAcl(template: Template): any {
  const acls = Object.values(template.findResources('AWS::WAFv2::WebACL'));
  expect(acls).toHaveLength(1);
  return (acls[0] as any).Properties;
}

describe('WAF lets the API\'s own limits through', () => {
  test.each([
    ['stocks', stocksSchema()],
    ['pollution', pollutionSchema()],
  ])('a 1,000-record body of the widest %s row passes every size rule of the web ACL', (_name, schema) => {
    const { template } = synthEndpoint({ schema, api: { waf: true } });
    const acl = webAcl(template);
    const body = JSON.stringify({ instances: Array.from({ length: 1000 }, () => widestRecord(schema)) });
    const bytes = Buffer.byteLength(body, 'utf-8');
    // Far above the 8 KB the core rule set would block, within what the proxy reads.
    expect(bytes).toBeGreaterThan(1_000_000);
    expect(bytes).toBeLessThanOrEqual(API_BODY_LIMIT);
    expect(blockedBy(acl, bytes)).toEqual([]);
  });

  test('no managed size rule stays at 8 KB: SizeRestrictions_BODY only counts', () => {
    const acl = webAcl(synthEndpoint({ api: { waf: true } }).template);
    const common = acl.Rules.find((r: any) => r.Statement.ManagedRuleGroupStatement?.Name === 'AWSManagedRulesCommonRuleSet');
    expect(common.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toEqual([{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }]);
    expect(blockedBy(acl, 8 * 1024 + 1)).toEqual([]);
  });

  test('a size rule holds the API\'s real limit: a Content-Length over 5 MiB is blocked with the proxy\'s 413 and JSON body', () => {
    const acl = webAcl(synthEndpoint({ api: { waf: true } }).template);
    expect(PredictApi.MAX_BODY_BYTES).toBe(API_BODY_LIMIT);
    expect(blockedBy(acl, PredictApi.MAX_BODY_BYTES)).toEqual([]);
    expect(blockedBy(acl, PredictApi.MAX_BODY_BYTES + 1)).toEqual(['BodyOverApiLimit blocks Content-Length 5242881']);
    const rule = acl.Rules.find((r: any) => r.Name === 'BodyOverApiLimit');
    expect(rule.Action.Block.CustomResponse).toEqual({ ResponseCode: 413, CustomResponseBodyKey: 'BodyTooLarge' });
    const body = JSON.parse(acl.CustomResponseBodies.BodyTooLarge.Content);
    expect(body.errors[0]).toEqual({ field: 'body', problem: expect.stringContaining('5242880 bytes') });
    expect(acl.CustomResponseBodies.BodyTooLarge.ContentType).toBe('APPLICATION_JSON');
  });

  test('the Content-Length pattern matches exactly the numbers above the limit, and fits WAF\'s 512 characters', () => {
    for (const limit of [1, 9, 10, 99, 100, 8192, 5242880, 9999999, 10485760]) {
      const pattern = new RegExp(contentLengthAbovePattern(limit));
      expect(contentLengthAbovePattern(limit).length).toBeLessThanOrEqual(512);
      expect(contentLengthAbovePattern(limit)).not.toMatch(/\((?!\?)/); // no capturing groups: WAF has none
      const probes = [0, 1, limit - 1, limit, limit + 1, limit + 9, limit * 10, Math.floor(limit / 10), 10 ** String(limit).length];
      for (let n = Math.max(0, limit - 1200); n <= limit + 1200; n++) probes.push(n);
      for (const n of probes.filter((p) => p >= 0)) {
        expect([n, pattern.test(String(n))]).toEqual([n, n > limit]);
        expect([n, pattern.test(`00${n}`)]).toEqual([n, n > limit]);
      }
      expect(pattern.test('')).toBe(false);
    }
  });
});
