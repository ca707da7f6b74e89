import { Fn, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Options of {@link IsolatedVpc}. */
export interface IsolatedVpcProps {
  /** Where the VPC's flow logs go. */
  readonly flowLogGroup: logs.ILogGroup;
  /** The name of the subnet group (and of each subnet's construct). */
  readonly subnetGroupName: string;
  /** How many Availability Zones, one isolated /24 subnet in each. */
  readonly availabilityZoneCount: number;
}

/**
 * A VPC of isolated subnets in the region's first Availability Zones, chosen at deploy
 * time with `Fn::GetAZs`. `ec2.Vpc` reads `Stack.availabilityZones` even when given
 * token zones, which in an environment-specific stack is a context lookup: the CDK CLI
 * then needs AWS credentials to synthesize. This builds the same resources (same
 * logical IDs) without that lookup, and exposes them as an `ec2.IVpc`.
 */
export class IsolatedVpc extends Construct {
  /** The VPC, for subnet selection, security groups and endpoints. */
  public readonly vpc: ec2.IVpc;
  /** The VPC resource. */
  public readonly resource: ec2.CfnVPC;
  /** The isolated subnets, one per Availability Zone. */
  public readonly subnets: ec2.PrivateSubnet[];
  /** Records all traffic to the flow log group. */
  public readonly flowLog: ec2.FlowLog;

  constructor(scope: Construct, id: string, props: IsolatedVpcProps) {
    super(scope, id);
    // DNS on, as ec2.Vpc does: interface endpoints with private DNS need both.
    this.resource = new ec2.CfnVPC(this, 'Resource', { cidrBlock: '10.0.0.0/16', enableDnsHostnames: true, enableDnsSupport: true });
    Tags.of(this).add('Name', this.node.path);
    const zones = Array.from({ length: props.availabilityZoneCount }, (_, index) => Fn.select(index, Fn.getAzs()));
    this.subnets = zones.map((availabilityZone, index) => {
      const subnet = new ec2.PrivateSubnet(this, `${props.subnetGroupName}Subnet${index + 1}`, {
        vpcId: this.resource.ref,
        availabilityZone,
        cidrBlock: `10.0.${index}.0/24`,
        mapPublicIpOnLaunch: false,
      });
      Tags.of(subnet).add('aws-cdk:subnet-type', ec2.SubnetType.PRIVATE_ISOLATED);
      Tags.of(subnet).add('aws-cdk:subnet-name', props.subnetGroupName);
      return subnet;
    });
    this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Attributes', {
      vpcId: this.resource.ref,
      vpcCidrBlock: this.resource.attrCidrBlock,
      availabilityZones: zones,
      isolatedSubnetIds: this.subnets.map((s) => s.subnetId),
      isolatedSubnetRouteTableIds: this.subnets.map((s) => s.routeTable.routeTableId),
      isolatedSubnetNames: [props.subnetGroupName],
    });
    this.flowLog = new ec2.FlowLog(this, 'All', {
      resourceType: ec2.FlowLogResourceType.fromVpc(this.vpc),
      destination: ec2.FlowLogDestination.toCloudWatchLogs(props.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }
}
