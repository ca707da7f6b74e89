import { CheckResult } from './check-result';
import { HttpAnswer, SigningCredentials, signedPost } from './signed-post';

/** What the proxy says, in a 503's message, while no model has ever served (ModelEndpoint's first-training source). */
export const FIRST_MODEL_TRAINING = /first model is still training/i;

/** Hourly ozone readings over three days with a daily cycle: DeepAR's context for the pollution forecast. */
export function pollutionRequest(hours = 72): unknown {
  const target = Array.from({ length: hours }, (_, h) => Math.round((30 + 10 * Math.sin((2 * Math.PI * h) / 24)) * 10) / 10);
  return { instances: [{ start: '2026-08-01 00:00:00', target }], configuration: { num_samples: 50, output_types: ['mean'] } };
}

/** `POST /predict` of one stocks record: `{ prediction: number, modelVersion, variant }`. */
export async function checkStocksPrediction(apiUrl: string, record: Record<string, unknown>, region: string, credentials: SigningCredentials): Promise<Omit<CheckResult, 'name'>> {
  const url = predictUrl(apiUrl);
  const answer = await signedPost(url, record, region, credentials);
  return judge(url, answer, (body) => {
    const problems: string[] = [];
    if (typeof body.prediction !== 'number' || !Number.isFinite(body.prediction)) problems.push(`'prediction' must be a number, got ${JSON.stringify(body.prediction)}`);
    if (typeof body.modelVersion !== 'string') problems.push(`'modelVersion' must be a string, got ${JSON.stringify(body.modelVersion)}`);
    if (typeof body.variant !== 'string') problems.push(`'variant' must be a string, got ${JSON.stringify(body.variant)}`);
    return problems;
  }, (body) => `predicted ${body.prediction} (variant ${body.variant}, model ${body.modelVersion})`);
}

/** `POST /predict` of a DeepAR request: `{ predictions: [{ mean: number[] }] }`, one forecast per instance. */
export async function checkPollutionForecast(apiUrl: string, region: string, credentials: SigningCredentials): Promise<Omit<CheckResult, 'name'>> {
  const url = predictUrl(apiUrl);
  const answer = await signedPost(url, pollutionRequest(), region, credentials);
  return judge(url, answer, (body) => {
    const predictions = body.predictions;
    if (!Array.isArray(predictions) || predictions.length !== 1) return [`'predictions' must be an array of one forecast (one instance sent), got ${JSON.stringify(predictions)?.slice(0, 200)}`];
    const mean = (predictions[0] as { mean?: unknown }).mean;
    if (!Array.isArray(mean) || mean.length === 0 || !mean.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      return [`'predictions[0].mean' must be a non-empty array of numbers, got ${JSON.stringify(mean)?.slice(0, 200)}`];
    }
    return [];
  }, (body) => `forecast ${(body.predictions as { mean: number[] }[])[0].mean.length} hours`);
}

function predictUrl(apiUrl: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/predict`;
}

/**
 * 200 with the documented shape passes. A 503 saying the first model is still
 * training passes with a warning: the endpoint does not exist until the first
 * retraining run passes its gate, and the proxy says exactly that only then.
 * Any other status fails, with the API's message.
 */
function judge(
  url: string,
  answer: HttpAnswer,
  shapeProblems: (body: Record<string, unknown>) => string[],
  describe: (body: Record<string, unknown>) => string,
): Omit<CheckResult, 'name'> {
  const message = messageOf(answer.body);
  if (answer.status === 503 && FIRST_MODEL_TRAINING.test(message)) {
    return { status: 'warn', detail: `POST ${url} answered 503: ${message} (no model has served yet; passes until the first retraining run deploys one)` };
  }
  if (answer.status !== 200) {
    return { status: 'fail', detail: `POST ${url} answered ${answer.status}: ${message}` };
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(answer.body) as Record<string, unknown>;
  } catch {
    return { status: 'fail', detail: `POST ${url} answered 200 with a body that is not JSON: ${answer.body.slice(0, 200)}` };
  }
  const problems = body !== null && typeof body === 'object' && !Array.isArray(body) ? shapeProblems(body) : ['the body must be a JSON object'];
  if (problems.length > 0) return { status: 'fail', detail: `POST ${url} answered 200 in the wrong shape: ${problems.join('; ')}` };
  return { status: 'pass', detail: describe(body) };
}

function messageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON: show the text.
  }
  return body.slice(0, 300);
}
