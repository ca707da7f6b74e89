import { Algorithm, AlgorithmImages } from '../src';

describe('AlgorithmImages', () => {
  test.each([
    [Algorithm.XGBOOST, 'us-east-1', '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1'],
    [Algorithm.XGBOOST, 'eu-west-1', '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1'],
    [Algorithm.DEEPAR, 'us-west-2', '156387875391.dkr.ecr.us-west-2.amazonaws.com/forecasting-deepar:1'],
    [Algorithm.AUTOGLUON, 'eu-central-1', '763104351884.dkr.ecr.eu-central-1.amazonaws.com/autogluon-inference:1.1.1-cpu-py311-ubuntu22.04'],
  ])('%s in %s is %s', (algorithm, region, uri) => {
    expect(AlgorithmImages.uriIn(algorithm, region)).toBe(uri);
  });

  test('a tag of your own', () => {
    expect(AlgorithmImages.uriIn(Algorithm.XGBOOST, 'us-east-1', '1.5-1')).toMatch(/:1\.5-1$/);
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
});
