export * from './traffic-shifting';
export * from './endpoint-deployment-target';
