import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Algorithm, AlgorithmImages, ImagePurpose } from '../../src';

describe('AlgorithmImages', () => {
  test.each([
    [Algorithm.XGBOOST, 'us-east-1', '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5'],
    [Algorithm.XGBOOST, 'eu-west-1', '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:3.0-5'],
    [Algorithm.DEEPAR, 'us-west-2', '156387875391.dkr.ecr.us-west-2.amazonaws.com/forecasting-deepar:1'],
    [Algorithm.AUTOGLUON, 'eu-central-1', '763104351884.dkr.ecr.eu-central-1.amazonaws.com/autogluon-inference:1.1.1-cpu-py311-ubuntu22.04'],
  ])('the %s inference image in %s is %s', (algorithm, region, uri) => {
    expect(AlgorithmImages.uriIn(algorithm, region)).toBe(uri);
  });

  test('training images: AutoGluon has its own, the built-in algorithms train and serve with one image', () => {
    const training = { purpose: ImagePurpose.TRAINING };
    expect(AlgorithmImages.uriIn(Algorithm.AUTOGLUON, 'us-west-2', training))
      .toBe('763104351884.dkr.ecr.us-west-2.amazonaws.com/autogluon-training:1.1.1-cpu-py311-ubuntu20.04');
    expect(AlgorithmImages.uriIn(Algorithm.XGBOOST, 'us-west-2', training)).toBe(AlgorithmImages.uriIn(Algorithm.XGBOOST, 'us-west-2'));
    expect(AlgorithmImages.uriIn(Algorithm.DEEPAR, 'us-west-2', training)).toBe(AlgorithmImages.uriIn(Algorithm.DEEPAR, 'us-west-2'));
    expect(AlgorithmImages.defaultTag(Algorithm.AUTOGLUON, ImagePurpose.TRAINING)).toBe('1.1.1-cpu-py311-ubuntu20.04');
  });

  test('the processing image is SageMaker scikit-learn 1.4-2, from the first-party registry', () => {
    expect(AlgorithmImages.processingUriIn('us-east-1')).toBe('683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3');
    expect(() => AlgorithmImages.processingUriIn('mars-north-1')).toThrow(/No scikit-learn processing image is known for region mars-north-1/);
  });

  test('a tag of your own', () => {
    expect(AlgorithmImages.uriIn(Algorithm.XGBOOST, 'us-east-1', { tag: '1.5-1' })).toMatch(/:1\.5-1$/);
  });

  test('an unknown region fails with the regions there are and the way out', () => {
    expect(() => AlgorithmImages.uriIn(Algorithm.DEEPAR, 'mars-north-1')).toThrow(/No deepar inference image is known for region mars-north-1: deploy to one of ap-northeast-1, .*ModelSource.fromArtifact/);
  });

  test('every algorithm covers the same 16 regions', () => {
    const regions = AlgorithmImages.supportedRegions(Algorithm.XGBOOST);
    expect(regions).toHaveLength(16);
    expect(AlgorithmImages.supportedRegions(Algorithm.DEEPAR)).toEqual(regions);
    expect(AlgorithmImages.supportedRegions(Algorithm.AUTOGLUON)).toEqual(regions);
  });

  test('a stack in a known region gets a literal URI', () => {
    const stack = new Stack(new App(), 'Known', { env: { region: 'eu-west-1' } });
    expect(AlgorithmImages.uriFor(stack, Algorithm.XGBOOST)).toBe(AlgorithmImages.uriIn(Algorithm.XGBOOST, 'eu-west-1'));
  });

  test('a region-agnostic stack looks the account up in one mapping per registry', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const xgboost = stack.resolve(AlgorithmImages.uriFor(stack, Algorithm.XGBOOST));
    AlgorithmImages.processingUriFor(stack);
    AlgorithmImages.uriFor(stack, Algorithm.AUTOGLUON, { purpose: ImagePurpose.TRAINING });
    AlgorithmImages.uriFor(stack, Algorithm.AUTOGLUON);
    expect(JSON.stringify(xgboost)).toContain('FreshetImageRegistryFirstParty');
    const mappings = Template.fromStack(stack).toJSON().Mappings;
    // XGBoost and scikit-learn share the first-party registry; both AutoGluon images share the DLC one.
    expect(Object.keys(mappings).sort()).toEqual(['FreshetImageRegistryDlc', 'FreshetImageRegistryFirstParty']);
    expect(mappings.FreshetImageRegistryFirstParty['us-east-1']).toEqual({ account: '683313688378' });
  });

  test('XGBoost and AutoGluon models serve with their own code/inference.py; DeepAR with its container alone', () => {
    // pip's inverted env switch: 0 turns build isolation off, so code/ installs without a download (issue 22).
    const scriptMode = {
      SAGEMAKER_PROGRAM: 'inference.py', SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code', PIP_NO_BUILD_ISOLATION: '0', SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: 'text/csv',
    };
    expect(AlgorithmImages.servingEnvironment(Algorithm.XGBOOST)).toEqual(scriptMode);
    expect(AlgorithmImages.servingEnvironment(Algorithm.AUTOGLUON)).toEqual(scriptMode);
    expect(AlgorithmImages.servingEnvironment(Algorithm.DEEPAR)).toEqual({});
    // A copy each time: a caller adding its own variables changes nobody else's.
    AlgorithmImages.servingEnvironment(Algorithm.XGBOOST).EXTRA = '1';
    expect(AlgorithmImages.servingEnvironment(Algorithm.XGBOOST)).toEqual(scriptMode);
  });
});
