import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as pipelines from 'aws-cdk-lib/pipelines';

/** Properties of {@link NotifyingApprovalStep}. */
export interface NotifyingApprovalStepProps {
  /** The topic CodePipeline notifies when the approval is waiting. */
  readonly notificationTopic: sns.ITopic;
  /**
   * What the approver is told, shown in the console and the notification.
   * @default - none
   */
  readonly comment?: string;
}

/**
 * A manual approval that notifies an SNS topic. CDK Pipelines' `ManualApprovalStep`
 * takes no topic, so this step produces CodePipeline's `ManualApprovalAction` itself.
 */
export class NotifyingApprovalStep extends pipelines.Step implements pipelines.ICodePipelineActionFactory {
  constructor(id: string, private readonly props: NotifyingApprovalStepProps) {
    super(id);
  }

  public produceAction(stage: codepipeline.IStage, options: pipelines.ProduceActionOptions): pipelines.CodePipelineActionFactoryResult {
    stage.addAction(new cpactions.ManualApprovalAction({
      actionName: options.actionName,
      runOrder: options.runOrder,
      notificationTopic: this.props.notificationTopic,
      additionalInformation: this.props.comment,
    }));
    return { runOrdersConsumed: 1 };
  }
}
