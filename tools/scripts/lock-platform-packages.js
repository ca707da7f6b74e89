#!/usr/bin/env node
// The npm registry mirror these machines use serves only some platforms'
// native packages (nx's darwin/win32/musl builds 404), so `npm install` writes
// a lockfile without them and `npm ci` then rejects it as out of sync. This
// adds lock entries for the missing optional platform packages, marked with
// their os and cpu, so npm ci skips them on other platforms without fetching.
// `npx projen` runs it after every install.
const fs = require('fs');
const path = require('path');

const lockPath = path.join(__dirname, '..', '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
const OS = ['darwin', 'linux', 'win32', 'freebsd'];
const CPU = { arm64: 'arm64', x64: 'x64', arm: 'arm' };

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => p in CPU);
  if (!os || !cpu) return undefined;
  const platform = { os: [os], cpu: [CPU[cpu]] };
  if (os === 'linux') platform.libc = [parts.includes('musl') ? 'musl' : 'glibc'];
  return platform;
}

let added = 0;
for (const [location, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = location === '' ? '' : `${location}/`;
    if (lock.packages[`${base}node_modules/${name}`] || lock.packages[`node_modules/${name}`]) continue;
    const platform = platformOf(name);
    if (!platform) continue;
    lock.packages[`node_modules/${name}`] = { version, ...(entry.dev ? { dev: true } : {}), optional: true, ...platform };
    added++;
  }
}
if (added > 0) {
  lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
  fs.writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
}
console.log(`lock-platform-packages: added ${added} optional platform entries`);
