export * from './versions';
export * from './freshet-monorepo';
export * from './construct-package';
export * from './ml-platform-app';
export * from './tool-package';
export * from './workspace-member';
