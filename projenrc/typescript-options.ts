import { javascript } from 'projen';

/**
 * The compiler options of tsconfig.base.json, which apps and tools extend.
 * Module settings match what jsii generates for the construct packages, and
 * TypeScript 6 deprecates the older `node` resolution.
 */
export const BASE_COMPILER_OPTIONS: javascript.TypeScriptCompilerOptions = {
  target: 'ES2022',
  lib: ['es2022'],
  module: 'node16',
  moduleResolution: javascript.TypeScriptModuleResolution.NODE16,
  strict: true,
  noImplicitAny: true,
  noImplicitReturns: true,
  noImplicitThis: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  noFallthroughCasesInSwitch: true,
  esModuleInterop: true,
  resolveJsonModule: true,
  declaration: true,
  inlineSourceMap: true,
  inlineSources: true,
  experimentalDecorators: true,
  skipLibCheck: true,
};

/**
 * tsconfig.json and tsconfig.dev.json of an app or tool: extends the base.
 * projen writes its own defaults beside `extends`, so the module settings are
 * repeated here to win over them.
 */
export function extendsBase(include: string[], compilerOptions: javascript.TypeScriptCompilerOptions = {}): javascript.TypescriptConfigOptions {
  const { target, lib, module, moduleResolution } = BASE_COMPILER_OPTIONS;
  return {
    extends: javascript.TypescriptConfigExtends.fromPaths(['../../tsconfig.base.json']),
    compilerOptions: { target, lib, module, moduleResolution, ...compilerOptions },
    include,
  };
}
