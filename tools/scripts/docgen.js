#!/usr/bin/env node
// Writes API.md for the jsii package in the current directory.
//
// jsii-docgen looks for dependency assemblies below the package folder, but npm
// workspaces hoist them to the root node_modules. This links the package and
// its assembly's dependency closure into one temporary folder and points
// jsii-docgen there.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Documentation, Language } = require('jsii-docgen');

async function main() {
  const packageDir = process.cwd();
  const assembly = JSON.parse(fs.readFileSync(path.join(packageDir, '.jsii'), 'utf-8'));
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'docgen-'));
  try {
    const link = (name, dir) => {
      const target = path.join(workdir, 'node_modules', name);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.symlinkSync(dir, target, 'dir');
    };
    link(assembly.name, packageDir);
    for (const dependency of Object.keys(assembly.dependencyClosure ?? {})) {
      const manifest = require.resolve(`${dependency}/package.json`, { paths: [packageDir] });
      link(dependency, path.dirname(manifest));
    }
    const docs = await Documentation.forAssembly(assembly.name, workdir);
    const markdown = await docs.toMarkdown({ language: Language.TYPESCRIPT, readme: false, allSubmodules: true });
    fs.writeFileSync(path.join(packageDir, 'API.md'), markdown.render());
  } finally {
    fs.rmSync(workdir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
