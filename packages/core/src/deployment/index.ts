export * from './traffic-shifting';
export * from './endpoint-deployment-target';
export * from './workflow-names';
