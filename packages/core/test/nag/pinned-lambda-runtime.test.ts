import { nagFindings, nagV2Errors, testStack } from '@freshet/test-utils';
import { CfnResource, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { PinnedLambdaRuntime } from '../../src';

const PINNED = 'nodejs24.x';

/** Two functions on the pinned runtime: one as a generated Freshet class builds it (acknowledged), one left alone. */
function functions(stack: Stack): { pinned: lambda.Function; other: lambda.Function } {
  const code = lambda.Code.fromBucket(s3.Bucket.fromBucketName(stack, 'Artifacts', 'artifacts'), 'handler.zip');
  const props = { runtime: new lambda.Runtime(PINNED, lambda.RuntimeFamily.NODEJS), handler: 'index.handler', code };
  const pinned = new lambda.Function(stack, 'Pinned', props);
  PinnedLambdaRuntime.acknowledge(pinned);
  const other = new lambda.Function(stack, 'Other', props);
  return { pinned, other };
}

/** Runs `body` with aws-cdk-lib knowing one more Node.js runtime, as a newer aws-cdk-lib does (e.g. 2.278's NODEJS_26_X). */
function withNewerRuntime(name: string, body: () => void): void {
  const before = lambda.Runtime.ALL.length;
  new lambda.Runtime(name, lambda.RuntimeFamily.NODEJS);
  try {
    body();
  } finally {
    lambda.Runtime.ALL.splice(before);
  }
}

const l1 = (findings: { ruleId: string; path: string }[]) => findings.filter((f) => f.ruleId === 'AwsSolutions-L1').map((f) => f.path).sort();

describe('PinnedLambdaRuntime', () => {
  test('acknowledges nothing while the pinned runtime is the newest Node.js the aws-cdk-lib knows', () => {
    expect(lambda.Runtime.ALL.map((r) => r.name)).not.toContain('nodejs26.x');
    const stack = testStack();
    const { pinned } = functions(stack);
    expect(PinnedLambdaRuntime.newerNodeRuntime(pinned.runtime)).toBeUndefined();
    expect((pinned.node.defaultChild as CfnResource).getMetadata('cdk_nag')).toBeUndefined();
    expect(l1(nagFindings(stack))).toEqual([]);
  });

  test('with a newer Node.js runtime, cdk-nag 3 reports only the function that does not acknowledge it', () => {
    withNewerRuntime('nodejs26.x', () => {
      const stack = testStack();
      const { pinned } = functions(stack);
      expect(PinnedLambdaRuntime.newerNodeRuntime(pinned.runtime)).toBe('nodejs26.x');
      expect(l1(nagFindings(stack))).toEqual(['Test/Other/Resource']);
    });
  });

  test('with a newer Node.js runtime, cdk-nag 2 suppresses it on the acknowledged function only, naming both runtimes and the control', () => {
    withNewerRuntime('nodejs26.x', () => {
      const stack = testStack();
      const { pinned } = functions(stack);
      expect(l1(nagV2Errors(stack))).toEqual(['/Test/Other/Resource']);
      const rules = (pinned.node.defaultChild as CfnResource).getMetadata('cdk_nag').rules_to_suppress;
      expect(rules).toEqual([{ id: 'AwsSolutions-L1', reason: expect.stringContaining(`Pinned to ${PINNED} while this aws-cdk-lib offers nodejs26.x`) }]);
      expect(rules[0].reason).toContain(PinnedLambdaRuntime.COMPENSATING_CONTROL);
    });
  });

  test('picks the newest of several newer Node.js runtimes and ignores other families', () => {
    withNewerRuntime('nodejs26.x', () => withNewerRuntime('nodejs28.x', () => withNewerRuntime('python9.99', () => {
      expect(PinnedLambdaRuntime.newerNodeRuntime(new lambda.Runtime(PINNED, lambda.RuntimeFamily.NODEJS))).toBe('nodejs28.x');
      expect(PinnedLambdaRuntime.newerNodeRuntime(lambda.Runtime.PYTHON_3_12)).toBeUndefined();
    })));
  });
});
