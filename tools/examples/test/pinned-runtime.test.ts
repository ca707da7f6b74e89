import { readdirSync, existsSync } from 'fs';
import * as path from 'path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { REPO_ROOT } from './readme-blocks';

/**
 * Every generated Freshet function class (projen writes `src/handlers/*-function.ts` from
 * projenrc/construct-package.ts) keeps its pinned runtime nag-clean on a newer aws-cdk-lib:
 * it acknowledges AwsSolutions-L1 on its own resource, and only when aws-cdk-lib knows a
 * newer Node.js runtime. Built packages only: the classes load their bundled handler assets.
 */
type FunctionClass = new (scope: Construct, id: string) => lambda.Function;

const functionClasses: Array<[string, FunctionClass]> = readdirSync(path.join(REPO_ROOT, 'packages')).flatMap((pkg) => {
  const dir = path.join(REPO_ROOT, 'packages', pkg, 'lib', 'handlers');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('-function.js')).map((file) => {
    // By path: the generated classes are internal to each package, not exported from its index.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = require(path.join(dir, file)) as Record<string, FunctionClass>;
    const [name, cls] = Object.entries(exported).find(([n]) => n.endsWith('Function'))!;
    return [`${pkg} ${name}`, cls] as [string, FunctionClass];
  });
});

function l1Violations(stack: Stack): string[] {
  Template.fromStack(stack);
  const report = new AwsSolutionsChecks(stack).validateScope(stack);
  return report.violations.filter((v) => v.ruleName === 'AwsSolutions-L1').flatMap((v) => v.violatingResources.map((r) => r.constructPath ?? ''));
}

function stackWithControl(): Stack {
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
  // A function on the same runtime without the acknowledgement: the rule must see it.
  new lambda.Function(stack, 'Control', {
    runtime: new lambda.Runtime('nodejs24.x', lambda.RuntimeFamily.NODEJS),
    handler: 'index.handler',
    code: lambda.Code.fromBucket(s3.Bucket.fromBucketName(stack, 'Artifacts', 'artifacts'), 'handler.zip'),
  });
  return stack;
}

test('the built packages have generated function classes', () => {
  // streaming-ingest, redshift-warehouse, model-endpoint (2), retrain-pipeline (2), monitor-retrain-trigger (3)
  expect(functionClasses.length).toBeGreaterThanOrEqual(9);
});

describe.each(functionClasses)('%s', (_name, FunctionClass) => {
  test('acknowledges nothing while its runtime is the newest Node.js aws-cdk-lib knows', () => {
    expect(lambda.Runtime.ALL.map((r) => r.name)).not.toContain('nodejs26.x');
    const stack = stackWithControl();
    const fn = new FunctionClass(stack, 'Fn');
    expect(fn.runtime.name).toBe('nodejs24.x');
    expect((fn.node.defaultChild as CfnResource).getMetadata('cdk_nag')).toBeUndefined();
    expect(l1Violations(stack)).toEqual([]);
  });

  test('with a newer Node.js in aws-cdk-lib, AwsSolutions-L1 is acknowledged on its resource for both cdk-nag majors', () => {
    const before = lambda.Runtime.ALL.length;
    new lambda.Runtime('nodejs26.x', lambda.RuntimeFamily.NODEJS); // as aws-cdk-lib 2.278's NODEJS_26_X
    try {
      const stack = stackWithControl();
      const fn = new FunctionClass(stack, 'Fn');
      expect(l1Violations(stack)).toEqual(['Test/Control/Resource']);
      const rules = (fn.node.defaultChild as CfnResource).getMetadata('cdk_nag').rules_to_suppress;
      expect(rules).toEqual([{ id: 'AwsSolutions-L1', reason: expect.stringContaining('Pinned to nodejs24.x while this aws-cdk-lib offers nodejs26.x') }]);
    } finally {
      lambda.Runtime.ALL.splice(before);
    }
  });
});
