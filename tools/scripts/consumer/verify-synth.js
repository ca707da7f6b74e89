#!/usr/bin/env node
// After `cdk synth` of one matrix row: prints the versions npm resolved (from
// node_modules/<pkg>/package.json), fails if they are not the row's, if any
// Freshet package got its own copy of a peer, if synth needed a context lookup,
// or if the assembly carries any error (an unacknowledged nag finding).
const fs = require('fs');
const path = require('path');
const [app, rowJson] = process.argv.slice(2);
const row = JSON.parse(rowJson);
const problems = [];
const versionOf = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;

const resolved = {};
for (const name of ['aws-cdk-lib', 'constructs', 'cdk-nag', 'aws-cdk', 'typescript']) {
  resolved[name] = versionOf(path.join(app, 'node_modules', name));
  if (row[name] && resolved[name] !== row[name]) problems.push(`${name} resolved to ${resolved[name]}, the row asked for ${row[name]}`);
}
for (const scoped of fs.readdirSync(path.join(app, 'node_modules', '@freshet'))) {
  for (const peer of ['aws-cdk-lib', 'constructs', 'cdk-nag']) {
    if (fs.existsSync(path.join(app, 'node_modules', '@freshet', scoped, 'node_modules', peer))) problems.push(`@freshet/${scoped} installed its own ${peer}: the peer is not shared`);
  }
}

const out = path.join(app, 'cdk.out');
const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
if (manifest.missing && manifest.missing.length) problems.push(`synth needed context lookups: ${manifest.missing.map((m) => m.key).join(', ')}`);
let errors = 0;
let warnings = 0;
for (const artifact of Object.values(manifest.artifacts ?? {})) {
  for (const [where, entries] of Object.entries(artifact.metadata ?? {})) {
    for (const entry of entries) {
      if (entry.type === 'aws:cdk:error') { errors++; problems.push(`error at ${where}: ${String(entry.data).split('\n')[0]}`); }
      if (entry.type === 'aws:cdk:warning') warnings++;
    }
  }
}
const template = JSON.parse(fs.readFileSync(path.join(out, 'SensorPlatform.template.json'), 'utf8'));
const resources = Object.values(template.Resources);
const types = resources.map((r) => r.Type);
// The monitor's drift schedule and trigger rule, and the state machines it runs and starts.
for (const type of ['AWS::Scheduler::Schedule', 'AWS::Events::Rule', 'AWS::StepFunctions::StateMachine']) {
  if (!types.includes(type)) problems.push(`the template has no ${type}`);
}
// The serverless endpoint's capture at the API: the proxy's log subscription and the Firehose stream into capture/<endpoint>/.
for (const type of ['AWS::Logs::SubscriptionFilter', 'AWS::KinesisFirehose::DeliveryStream']) {
  if (!types.includes(type)) problems.push(`the template has no ${type}: the serverless endpoint does not capture at the API`);
}
const monitorCapture = resources.filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.CAPTURE_PREFIX);
if (monitorCapture.length !== 1 || !/^capture\/[^/]+\/$/.test(monitorCapture[0].Properties.Environment.Variables.CAPTURE_PREFIX)) {
  problems.push('the drift planner does not read capture/<endpoint>/');
}
const runtimes = [...new Set(resources.filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => r.Properties.Runtime).filter(Boolean))].sort();

console.log(`  resolved: ${Object.entries(resolved).map(([n, v]) => `${n} ${v}`).join(', ')} (nag packs: cdk-nag ${row.nag === 'v3' ? '3 through Validations' : '2 through Aspects'})`);
console.log(`  synthesized: ${resources.length} resources, no lookups; nag errors ${errors}, warnings ${warnings}; Lambda runtimes ${runtimes.join(', ')}`);
if (problems.length) {
  console.error(`consumer-test (${row.row}):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
