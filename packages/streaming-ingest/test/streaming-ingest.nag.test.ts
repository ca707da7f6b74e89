import { stocksSchema } from '@freshet/examples';
import { cfnLint, formatCfnLint, formatFindings, nagFindings, testStack } from '@freshet/test-utils';
import { Size } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StreamingIngest, StreamingIngestProps } from '../src';

describe('StreamingIngest compliance', () => {
  test.each([
    ['defaults', {}],
    ['every source and option', {
      iotSource: { topicFilter: 'freshet/stocks/+' },
      csvUploadSource: { maxFileSize: Size.mebibytes(50) },
      streamOptions: { onDemand: true },
    }],
    ['parquet delivery', { delivery: { parquet: true }, csvUploadSource: {} }],
  ] as Array<[string, Partial<StreamingIngestProps>]>)('%s: no unacknowledged nag errors, cfn-lint clean', (_name, props) => {
    const stack = testStack();
    new StreamingIngest(stack, 'Ingest', { schema: stocksSchema(), ...props });
    const template = Template.fromStack(stack);
    // Warnings too: an app with the packs applied fails synth on any unacknowledged finding.
    expect(formatFindings(nagFindings(stack, ['Error', 'Warning']))).toBe('');
    expect(formatCfnLint(cfnLint([template.toJSON()]))).toBe('');
  });
});
