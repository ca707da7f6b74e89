// The cost estimate of a synthesized CDK app: read a cloud assembly, price every resource, idle and at load.
export * from './assembly';
export * from './context';
export * from './estimate';
export * from './intrinsics';
export * from './load-profile';
export * from './pricing-table';
export * from './report';
export * from './schedule';
export * from './seed';
export * from './state-machine';
export { Charge, Pricer, Unpriced } from './pricers/pricer';
export { FREE, PRICERS, freeReason } from './pricers/registry';
export { main } from './cli';
