#!/usr/bin/env bash
# Runs every test of the repository and ends with one summary line,
# "N passed, N failed". It exits non-zero when any step fails.
#  1. the Python venv (cfn-lint, pytest, job-script requirements) and the replay's AutoGluon venv;
#  2. build every package and the app with Nx on the machine's Node, then test them (jest,
#     eslint, README examples) on the Node major the Lambda functions are pinned to, which
#     tools/scripts/node-runtime.sh installs from the npm registry; the proxy benchmark runs
#     on it too and prints its figures beside the SDK-alone floor measured in the same run;
#  3. synthesize the app, and check that a handler change reaches cdk.out
#     through the Nx cache;
#  4. side by side: pytest over the Python job scripts shipped in (one run per package)
#     packages/*/scripts, the Python binding check, the consumer test (the
#     packed tarballs installed into a fresh app outside the workspace and
#     synthesized with the CDK CLI), cfn-lint and checkov (its own venv) over
#     every template in cdk.out.
set -uo pipefail
cd "$(dirname "$0")/../.."
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=1

passed=0
failed=0
failures=()
step() {
  local name=$1
  shift
  echo "━━ ${name}"
  # A step of a pair counts from when the pair started.
  local started=${pair_started:-$SECONDS}
  if "$@"; then
    passed=$((passed + 1))
    echo "━━ ${name}: passed ($((SECONDS - started)) s)"
  else
    failed=$((failed + 1))
    failures+=("${name}")
    echo "━━ ${name}: FAILED ($((SECONDS - started)) s)"
  fi
}

# Steps at once, each with its output held until it ends and then shown in
# order: for steps that leave a core idle (a JVM, pip, pacmak and npm waiting on I/O).
# Arguments: name function [name function ...].
step_group() {
  local names=() pids=() logs=() log
  pair_started=$SECONDS
  while [ "$#" -gt 0 ]; do
    log=$(mktemp)
    "$2" > "${log}" 2>&1 &
    names+=("$1")
    pids+=($!)
    logs+=("${log}")
    shift 2
  done
  local i
  for i in "${!names[@]}"; do
    step "${names[$i]}" wait_and_show "${pids[$i]}" "${logs[$i]}"
  done
  unset pair_started
  echo "   (these ran side by side; times count from their common start)"
}

wait_and_show() {
  local status=0
  wait "$1" || status=$?
  cat "$2"
  rm -f "$2"
  return "${status}"
}

python_binding() {
  bash tools/scripts/python-binding-check.sh
}

consumer_test() {
  bash tools/scripts/consumer-test.sh
}

lint_cdk_out() {
  local templates
  mapfile -t templates < <(find apps/ml-platform/cdk.out -name '*.template.json' | sort)
  [ "${#templates[@]}" -gt 0 ] || { echo "no templates in apps/ml-platform/cdk.out"; return 1; }
  # W3005: aws-cdk-lib's redundant DependsOn on Lambda roles. E3703: CDK Pipelines' Fn::Join role ARNs in CloudFormation actions.
  .venv/bin/cfn-lint --ignore-checks W3005 E3703 -- "${templates[@]}"
}

# A second, independent scanner. Every finding fails the step unless the resource skips
# that check with a reason (Metadata.checkov.skip, written by CheckovSkips in @freshet/core).
checkov_cdk_out() {
  local templates args=()
  mapfile -t templates < <(find apps/ml-platform/cdk.out -name '*.template.json' | sort)
  [ "${#templates[@]}" -gt 0 ] || { echo "no templates in apps/ml-platform/cdk.out"; return 1; }
  bash tools/scripts/checkov-venv.sh || return 1
  for template in "${templates[@]}"; do args+=(--file "${template}"); done
  # --skip-download: no call to Prisma Cloud; the checks ship with the pinned checkov.
  .venv-checkov/bin/checkov "${args[@]}" --framework cloudformation --compact --quiet --skip-download
}

# pytest over one package's job scripts: each scripts/ folder has its own conftest.py and pytest.ini.
job_script_tests_in() {
  (cd "$1" && ../../../.venv/bin/python -m pytest -q -p no:cacheprovider)
}

no_script_suites() {
  echo "no Python job-script suites under packages/*/scripts/tests"
  return 1
}

# The Node the Lambda functions run on (their runtime read from the code), for the tests and the benchmark.
lambda_node() {
  LAMBDA_RUNTIME=$(bash tools/scripts/node-runtime.sh runtime) || return 1
  LAMBDA_NODE_BIN=$(bash tools/scripts/node-runtime.sh) || return 1
  echo "the Lambda functions run on ${LAMBDA_RUNTIME}: $("${LAMBDA_NODE_BIN}/node" --version) in ${LAMBDA_NODE_BIN}"
}

# Runs a command with the Lambda functions' Node first on PATH (npx, nx, jest and its workers follow it).
on_lambda_node() {
  if [ -z "${LAMBDA_NODE_BIN:-}" ]; then
    echo "the Lambda functions' Node is not installed: see the step \"lambda node\""
    return 1
  fi
  local major=${LAMBDA_RUNTIME#nodejs}
  major=${major%.x}
  echo "node --version: $(PATH="${LAMBDA_NODE_BIN}:${PATH}" node --version) (the Lambda functions' runtime: ${LAMBDA_RUNTIME})"
  # The check in tools/test-utils/test/runtime fails when jest runs on another major.
  PATH="${LAMBDA_NODE_BIN}:${PATH}" FRESHET_LAMBDA_NODE_MAJOR="${major}" "$@"
}

step "python venv" bash tools/scripts/python-venv.sh
# The replay trains the Dev stage's stocks model with AutoGluon, in a venv of its own (numpy < 2).
step "autogluon venv" bash tools/scripts/autogluon-venv.sh
step "lambda node" lambda_node
step "build" npx nx run-many --target=build --output-style=static
# Two test targets at a time, one per core.
step "typescript tests" on_lambda_node npx nx run-many --target=test --output-style=static --parallel=2
# Its targets are printed, not asserted: tests never assert on wall-clock time.
step "proxy benchmark" on_lambda_node node tools/bench/lib/main.js proxy
step "app synth" npx nx run @freshet/ml-platform:synth --output-style=static
step "nx cache freshness" bash tools/scripts/nx-cache-check.sh
# After the freshness check, whose last synth restores cdk.out: the scanners read it side by side with the rest.
# One member per package's Python suite, so the long Spark suite does not hold the others back.
mapfile -t script_suites < <(find packages -path '*/node_modules' -prune -o -path '*/scripts/tests' -type d -print | sort)
suite_members=()
for i in "${!script_suites[@]}"; do
  eval "pytest_${i}() { job_script_tests_in '${script_suites[$i]%/tests}'; }"
  suite_members+=("python job scripts (${script_suites[$i]%/tests})" "pytest_${i}")
done
[ "${#suite_members[@]}" -gt 0 ] || suite_members=("python job scripts" no_script_suites)
step_group "${suite_members[@]}" "python binding" python_binding "consumer app from tarballs" consumer_test \
  "cfn-lint cdk.out" lint_cdk_out "checkov cdk.out" checkov_cdk_out

if [ "${failed}" -gt 0 ]; then
  echo "failed: ${failures[*]}"
fi
echo "${passed} passed, ${failed} failed"
[ "${failed}" -eq 0 ]
