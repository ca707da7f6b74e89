import { AssemblyStack } from './assembly';
import { readWorkflow } from './state-machine';

/** What a stage's templates say about how it serves and retrains: what a stage buys over another. */
export interface StageTraits {
  /** The most instances behind an endpoint (configs the workflows create, and template endpoint configs). */
  readonly endpointInstances: number;
  /**
   * Whether a retraining workflow waits for a person: it registers models as
   * `PendingManualApproval`, or a state waits for a task token.
   */
  readonly manualApproval: boolean;
  /** Whether every model the workflows create is network-isolated. */
  readonly networkIsolation: boolean;
  /** Whether endpoint updates roll back on alarms (UpdateEndpoint's DeploymentConfig with AutoRollbackConfiguration). */
  readonly guardrails: boolean;
  /** Drift workflows (a processing job and no training), one per monitored endpoint. */
  readonly driftMonitors: number;
}

/** The stage of a stack, as {@link stageOf} names it for line items. */
function stageName(stack: AssemblyStack): string {
  const parts = stack.displayName.split('/');
  return parts.length > 1 ? parts.slice(0, -1).join('/') : '(app)';
}

/** Each stage's traits, read from its templates. */
export function stageTraits(stacks: AssemblyStack[]): Record<string, StageTraits> {
  const result: Record<string, StageTraits> = {};
  for (const stage of [...new Set(stacks.map(stageName))]) {
    const resources = stacks.filter((s) => stageName(s) === stage).flatMap((s) => s.resources);
    let instances = 0;
    let manualApproval = false;
    let models = 0;
    let isolated = 0;
    let guardrails = false;
    let driftMonitors = 0;
    for (const config of resources.filter((r) => r.type === 'AWS::SageMaker::EndpointConfig')) {
      for (const v of config.properties.ProductionVariants ?? []) instances = Math.max(instances, Number(v.InitialInstanceCount ?? 0));
    }
    for (const machine of resources.filter((r) => r.type === 'AWS::StepFunctions::StateMachine')) {
      let states;
      try {
        states = readWorkflow(machine.properties).allStates;
      } catch {
        continue;
      }
      // A package registered pending is approved by a person unless the workflow approves it itself
      // (automatic mode approves once the endpoint serves it).
      const pending = states.some((s) => /sagemaker:createModelPackage$/.test(s.resource) && s.parameters.ModelApprovalStatus === 'PendingManualApproval');
      const approvesItself = states.some((s) => /sagemaker:updateModelPackage$/.test(s.resource) && s.parameters.ModelApprovalStatus === 'Approved');
      if (states.some((s) => /\.waitForTaskToken$/.test(s.resource)) || (pending && !approvesItself)) manualApproval = true;
      for (const s of states.filter((x) => /sagemaker:createModel$/.test(x.resource))) {
        models += 1;
        if (s.parameters.EnableNetworkIsolation === true) isolated += 1;
      }
      for (const s of states.filter((x) => /sagemaker:createEndpointConfig$/.test(x.resource))) {
        for (const v of s.parameters.ProductionVariants ?? []) instances = Math.max(instances, Number(v.InitialInstanceCount ?? 0));
      }
      if (states.some((s) => /sagemaker:updateEndpoint$/.test(s.resource) && s.parameters.DeploymentConfig?.AutoRollbackConfiguration)) guardrails = true;
      const trains = states.some((s) => /createTrainingJob|createAutoMLJob/.test(s.resource));
      if (!trains && states.some((s) => /createProcessingJob/.test(s.resource))) driftMonitors += 1;
    }
    result[stage] = { endpointInstances: instances, manualApproval, networkIsolation: models > 0 && isolated === models, guardrails, driftMonitors };
  }
  return result;
}

/** One line saying what `stage` buys over `base`, trait by trait, and what both have. */
export function describeOver(stage: string, traits: StageTraits, base: string, baseTraits: StageTraits): string {
  const more: string[] = [];
  const same: string[] = [];
  if (traits.endpointInstances !== baseTraits.endpointInstances) {
    more.push(`${traits.endpointInstances} instances behind each endpoint (${base}: ${baseTraits.endpointInstances})`);
  } else {
    same.push(`${traits.endpointInstances} instance(s) per endpoint`);
  }
  const flag = (has: boolean, baseHas: boolean, what: string, baseWhat: string) => {
    if (has && !baseHas) more.push(`${what} (${base}: ${baseWhat})`);
    else if (has && baseHas) same.push(what);
  };
  flag(traits.manualApproval, baseTraits.manualApproval, 'a person approves each model', 'the gate alone');
  flag(traits.networkIsolation, baseTraits.networkIsolation, 'network isolation', 'none');
  flag(traits.guardrails, baseTraits.guardrails, 'rollout guardrails with alarm rollback', 'none');
  flag(traits.driftMonitors > 0, baseTraits.driftMonitors > 0, `drift monitoring of ${traits.driftMonitors} endpoint(s)`, 'none');
  return `What ${stage} buys over ${base}: ${more.length > 0 ? more.join('; ') : 'nothing the templates show'}`
    + `${same.length > 0 ? `. Both: ${same.join(', ')}.` : '.'}`;
}
