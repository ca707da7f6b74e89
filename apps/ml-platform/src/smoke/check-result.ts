/** The outcome of one smoke check. `warn` passes, with something to look at. */
export interface CheckResult {
  readonly name: string;
  readonly status: 'pass' | 'warn' | 'fail';
  readonly detail: string;
}

/** Runs a check; an exception fails it with its message rather than aborting the run. */
export async function runCheck(name: string, check: () => Promise<Omit<CheckResult, 'name'>>): Promise<CheckResult> {
  try {
    return { name, ...(await check()) };
  } catch (error) {
    return { name, status: 'fail', detail: error instanceof Error ? error.message : String(error) };
  }
}
