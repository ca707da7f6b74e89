export * from './algorithm';
export * from './algorithm-images';
