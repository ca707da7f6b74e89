import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { AwsCallFindings } from './aws-call-findings';

/** Properties of a {@link NamespaceAdminSecret}. */
export interface NamespaceAdminSecretProps {
  /** The namespace's name. */
  readonly namespaceName: string;
  /** The namespace's ARN. */
  readonly namespaceArn: string;
  /**
   * The log group of the AWS API call function.
   * @default - one the function creates
   */
  readonly logGroup?: logs.ILogGroup;
}

/**
 * Reads the ARN of the admin secret a Redshift Serverless namespace keeps
 * (`manageAdminPassword`). CloudFormation does not return it
 * (cloudformation-coverage-roadmap#2021), so it is read with GetNamespace.
 * Only the ARN is read: the password never leaves Secrets Manager.
 */
export class NamespaceAdminSecret extends Construct {
  /** The custom resource that reads the namespace. */
  public readonly resource: cr.AwsCustomResource;
  /** The admin secret's ARN. */
  public readonly secretArn: string;

  constructor(scope: Construct, id: string, props: NamespaceAdminSecretProps) {
    super(scope, id);
    const getNamespace: cr.AwsSdkCall = {
      service: 'redshift-serverless',
      action: 'GetNamespace',
      parameters: { namespaceName: props.namespaceName },
      physicalResourceId: cr.PhysicalResourceId.of(`${props.namespaceName}-admin-secret`),
      outputPaths: ['namespace.adminPasswordSecretArn'],
    };
    this.resource = new cr.AwsCustomResource(this, 'GetNamespace', {
      resourceType: 'Custom::FreshetRedshiftAdminSecret',
      onCreate: getNamespace,
      onUpdate: getNamespace,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['redshift-serverless:GetNamespace'], resources: [props.namespaceArn] }),
      ]),
      logGroup: props.logGroup,
      installLatestAwsSdk: false,
    });
    this.secretArn = this.resource.getResponseField('namespace.adminPasswordSecretArn');
    AwsCallFindings.acknowledge(this.resource, 'the admin secret ARN of this warehouse\'s namespace');
  }
}
