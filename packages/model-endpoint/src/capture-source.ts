/** Where a {@link ModelEndpoint} captures requests and responses for drift detection and model quality. */
export enum CaptureSource {
  /**
   * SageMaker's own data capture: real-time endpoints only. It also records
   * callers that invoke the endpoint directly, bypassing the prediction API.
   */
  ENDPOINT = 'ENDPOINT',
  /**
   * The prediction API's proxy writes SageMaker's capture records: any endpoint
   * type, serverless included. Callers that invoke the endpoint directly
   * (InvokeEndpoint) are not captured.
   */
  API = 'API',
  /**
   * Both: SageMaker's capture under `capture/<endpoint>/`, which monitors read
   * (it holds every caller), and the API's under `capture-api/<endpoint>/`.
   */
  API_AND_ENDPOINT = 'API_AND_ENDPOINT',
}
