// cdk-nag 2: the packs are aspects; suppressions are the resources' cdk_nag metadata.
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';

export function applyNagPacks(app: App): void {
  Aspects.of(app).add(new AwsSolutionsChecks());
  Aspects.of(app).add(new NIST80053R5Checks());
}
