#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test (unit, contract and
# integration, the latter against the real binary) under AddressSanitizer
# and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
start=$(date +%s)
echo "== npm packages for the tests (tests/js)"
npm ci --prefix tests/js --no-audit --no-fund --loglevel=error

echo "== web UI (web/, served by ctlflow server)"
npm ci --prefix web --no-audit --no-fund --loglevel=error
npm run build --prefix web --silent

# One build and one pass, under AddressSanitizer and UndefinedBehaviorSanitizer
# (-O0 with line tables: the fastest build that still names lines), so the
# whole suite stays well inside CI's time. SKIP_SANITIZERS=1 tests the
# release build in build/ instead.
if [ "${SKIP_SANITIZERS:-0}" = 1 ]; then
  echo "== build"
  bash scripts/build.sh
  echo "== tests"
  ctest --test-dir build --output-on-failure -j 2 --timeout 600
else
  echo "== build (ASan + UBSan) in build-test/"
  BUILD_DIR=build-test BUILD_TYPE=Debug CMAKE_ARGS="-DCTLFLOW_SANITIZE=ON -DCMAKE_CXX_FLAGS_DEBUG=-g1" bash scripts/build.sh
  echo "== tests under sanitizers"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-test --output-on-failure -j 2 --timeout 900
fi
echo "== all tests passed in $(( $(date +%s) - start )) s"
