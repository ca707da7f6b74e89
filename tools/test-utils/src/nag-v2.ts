import { Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag-v2';
import { IConstruct } from 'constructs';
import type { NagFinding } from './nag';

const withPacks = new WeakSet<IConstruct>();

/**
 * Applies cdk-nag 2's AwsSolutions and NIST 800-53 R5 packs the way its users
 * do (`Aspects.of(app).add(new AwsSolutionsChecks())`). Apply them to the app
 * before anything synthesizes, to check every stack of it.
 */
export function applyNagV2Packs(scope: IConstruct): void {
  if (withPacks.has(scope)) return;
  withPacks.add(scope);
  Aspects.of(scope).add(new AwsSolutionsChecks());
  Aspects.of(scope).add(new NIST80053R5Checks());
}

/**
 * The errors cdk-nag 2 reports on a stack: the findings its metadata
 * suppressions did not cover. Applies the packs to the stack unless they were
 * applied to a scope above it.
 */
export function nagV2Errors(stack: Stack, packsApplied = false): NagFinding[] {
  if (!packsApplied) applyNagV2Packs(stack);
  const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('^(AwsSolutions|NIST)'));
  return errors.map((error) => {
    const text = String(error.entry.data);
    // `AwsSolutions-IAM5[Action::s3:*]: The IAM entity ...`: the rule, then the granular finding in brackets.
    const ruleId = /^([^[:\s]+)/.exec(text)?.[1] ?? text;
    return { pack: ruleId.startsWith('NIST') ? 'NIST.800.53.R5' : 'AwsSolutions', ruleId, level: 'Error', path: error.id, description: text };
  });
}
