import { WorkflowNames } from '../../src';

describe('WorkflowNames', () => {
  test('the default prefix is ct-<dataset>, lower-cased, other characters as single hyphens, at most 20 characters, no trailing hyphen', () => {
    expect(WorkflowNames.defaultPrefix('stocks')).toBe('ct-stocks');
    expect(WorkflowNames.defaultPrefix('Air_Quality.v2')).toBe('ct-air-quality-v2');
    const long = WorkflowNames.defaultPrefix('very_long_dataset_name_here');
    expect(long).toBe('ct-very-long-dataset');
    expect(long.length).toBeLessThanOrEqual(WorkflowNames.MAX_PREFIX_LENGTH);
    // Cut at 20 characters right after a hyphen: the hyphen goes.
    expect(WorkflowNames.defaultPrefix('abcdefghijklmnop_rs')).toBe('ct-abcdefghijklmnop');
  });

  test('the endpoint config and model names the teardown recognises', () => {
    expect(WorkflowNames.endpointConfigPrefix('ct-stocks')).toBe('ct-stocks-config-');
    expect(WorkflowNames.modelPrefix('ct-stocks')).toBe('ct-stocks-model-');
  });
});
