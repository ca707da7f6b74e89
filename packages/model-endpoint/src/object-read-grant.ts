import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * s3:GetObject on the keys, and kms:Decrypt of the bucket's key through S3 only:
 * what a container needs to download its artifact, no List or GetBucket.
 */
export function grantObjectRead(scope: Construct, role: iam.IRole, bucket: s3.IBucket, keyPattern: string): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(keyPattern)] }));
  if (bucket.encryptionKey) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [bucket.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(scope).region}.amazonaws.com` } },
    }));
  }
}

