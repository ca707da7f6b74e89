import { readWorkflow } from '../src/state-machine';

describe('the happy path', () => {
  test('takes the longest successful branch, never a Catch or a Fail, loops once', () => {
    const workflow = readWorkflow({
      DefinitionString: JSON.stringify({
        StartAt: 'Start',
        States: {
          'Start': { Type: 'Pass', Next: 'Champion?' },
          'Champion?': { Type: 'Choice', Choices: [{ Variable: '$.c', IsPresent: true, Next: 'Describe' }], Default: 'Gate' },
          'Describe': { Type: 'Pass', Next: 'Gate' },
          'Gate': { Type: 'Pass', Next: 'Passes?', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Notify' }] },
          'Passes?': { Type: 'Choice', Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Deploy' }], Default: 'Rejected' },
          'Rejected': { Type: 'Succeed' },
          'Deploy': { Type: 'Pass', Next: 'Wait' },
          'Wait': { Type: 'Wait', Seconds: 1, Next: 'Done?' },
          'Done?': { Type: 'Choice', Choices: [{ Variable: '$.d', BooleanEquals: true, Next: 'Deployed' }, { Variable: '$.f', BooleanEquals: true, Next: 'Notify' }], Default: 'Wait' },
          'Deployed': { Type: 'Succeed' },
          'Notify': { Type: 'Pass', Next: 'Failed' },
          'Failed': { Type: 'Fail' },
        },
      }),
    });
    expect(workflow.happyPath.map((s) => s.name)).toEqual(['Start', 'Champion?', 'Describe', 'Gate', 'Passes?', 'Deploy', 'Wait', 'Done?', 'Deployed']);
    expect(workflow.transitionsPerRun).toBe(9);
    expect(workflow.allStates).toHaveLength(12);
  });

  test('reads an Fn::Join definition and keeps the references of each state', () => {
    const workflow = readWorkflow({
      DefinitionString: { 'Fn::Join': ['', ['{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"', { 'Fn::GetAtt': ['Fn1', 'Arn'] }, '","End":true}}}']] },
    });
    expect(workflow.happyPath[0].flat.refs).toEqual(['Fn1']);
    expect(workflow.type).toBe('STANDARD');
  });

  test('a definition with no successful end is refused', () => {
    expect(() => readWorkflow({ DefinitionString: JSON.stringify({ StartAt: 'F', States: { F: { Type: 'Fail' } } }) })).toThrow(/no path/);
  });
});
