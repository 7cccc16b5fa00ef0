#!/usr/bin/env bash
# Runs the compiled test suite with Node's own test runner. Test files run one file per process,
# two at a time (CI has 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
if [ ${#files[@]} -eq 0 ]; then
  echo "run-tests: no test files found under dist/test" >&2
  exit 1
fi
exec node --test --test-concurrency=2 --test-timeout=180000 "${files[@]}"
