import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/cli';
import { loadProfile } from '../src/load-profile';

/** A one-stack cloud assembly written to a temporary folder. */
function assembly(resources: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freshet-cost-'));
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({
    version: '40.0.0',
    artifacts: { Small: { type: 'aws:cloudformation:stack', displayName: 'Small', properties: { templateFile: 'Small.template.json', stackName: 'small' } } },
  }));
  fs.writeFileSync(path.join(dir, 'Small.template.json'), JSON.stringify({ Resources: resources }));
  return dir;
}

function capture(argv: string[]): string {
  let out = '';
  main(argv, (t) => { out += t; });
  return out;
}

describe('the command', () => {
  const dir = assembly({
    Stream: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 1 } },
    Thing: { Type: 'AWS::Foo::Bar', Properties: {} },
  });

  test('a load profile file changes the at-load figure, not idle', () => {
    const profile = path.join(dir, 'load.json');
    fs.writeFileSync(profile, JSON.stringify({ recordsPerSecond: 100 }));
    const base = JSON.parse(capture([dir, '--json', '--no-seed']));
    const busy = JSON.parse(capture([dir, '--json', '--no-seed', '--load', profile]));
    const stream = (r: any) => r.items.find((i: any) => i.logicalId === 'Stream');
    expect(stream(busy).load).toBeGreaterThan(stream(base).load);
    expect(stream(busy).idle).toBeCloseTo(stream(base).idle, 9);
    expect(busy.load.recordsPerSecond).toBe(100);
  });

  test('the unknown resource type is in the output as unpriced', () => {
    expect(capture([dir, '--no-seed'])).toMatch(/UNPRICED\s+AWS::Foo::Bar Thing/);
  });

  test('an unknown load field fails with the fields it accepts', () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ recordsPerSec: 1 }));
    expect(() => loadProfile(bad)).toThrow(/unknown field\(s\) recordsPerSec; the fields are recordsPerSecond/);
  });

  test('a folder without a manifest says to synthesize first', () => {
    expect(() => main([os.tmpdir() + '/no-such-cdk-out'], () => undefined)).toThrow(/synthesize the app first/);
  });

  test('the seed stack prices as described: a dc2.large node and an ml.m5.large endpoint all month', () => {
    const out = JSON.parse(capture([dir, '--json']));
    const seed = (id: string) => out.seed.items.find((i: any) => i.logicalId === id);
    expect(seed('Cluster').idle).toBeCloseTo(730 * 0.25, 6);
    expect(seed('Endpoint').idle).toBeCloseTo(730 * 0.115, 6);
    expect(out.seed.items.filter((i: any) => i.status === 'unpriced')).toEqual([]);
  });
});
