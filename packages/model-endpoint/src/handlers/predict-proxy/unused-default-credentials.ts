/**
 * Stands in for `@aws-sdk/credential-provider-node` in the proxy's bundle.
 *
 * The proxy hands its client Lambda's environment credentials, so the SDK
 * never calls the default chain; leaving the chain's STS, SSO and IMDS
 * clients out keeps them off the cold start. Should a change ever reach the
 * chain, the call fails with a message instead of signing with nothing.
 */
export function defaultProvider(): never {
  throw new Error('The predict proxy bundle has no default credential chain: pass credentials to the SageMaker Runtime client (fromEnv() in Lambda).');
}
