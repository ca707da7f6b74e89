import { App, Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NagPack, NIST80053R5Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';

/** One unacknowledged cdk-nag finding. */
export interface NagFinding {
  readonly pack: string;
  readonly ruleId: string;
  readonly level: string;
  readonly path: string;
  readonly description: string;
}

/** The packs Freshet holds every construct to. */
export function freshetNagPacks(scope: IConstruct): NagPack[] {
  return [new AwsSolutionsChecks(scope), new NIST80053R5Checks(scope)];
}

/**
 * Runs the AwsSolutions and NIST 800-53 R5 packs over a scope (a stack or an
 * app) and returns the findings nobody acknowledged, at the given levels.
 */
export function nagFindings(scope: IConstruct, levels: string[] = ['Error']): NagFinding[] {
  // Synthesize first, so aspects and lazy values are in place as at deploy time.
  if (Stack.isStack(scope)) {
    Template.fromStack(scope);
  } else if (Stage.isStage(scope)) {
    scope.synth({ force: true });
  }
  const findings: NagFinding[] = [];
  for (const pack of freshetNagPacks(scope)) {
    const report = pack.validateScope(scope);
    for (const violation of report.violations) {
      const level = String(violation.severity ?? 'Error');
      for (const resource of violation.violatingResources) {
        findings.push({
          pack: pack.name,
          ruleId: violation.ruleName,
          level,
          path: resource.constructPath ?? resource.resourceLogicalId ?? '',
          description: violation.description,
        });
      }
    }
  }
  return findings.filter((f) => levels.some((l) => f.level.toLowerCase().includes(l.toLowerCase())));
}

/** Formats findings one a line, for a readable assertion failure. */
export function formatFindings(findings: NagFinding[]): string {
  return findings.map((f) => `${f.ruleId} at ${f.path}: ${f.description}`).join('\n');
}

/** A fresh app and stack in a fixed account and region, as construct tests use. */
export function testStack(id = 'Test'): Stack {
  const app = new App();
  return new Stack(app, id, { env: { account: '123456789012', region: 'us-east-1' } });
}
