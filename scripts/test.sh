#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test (unit and
# integration, the latter against the real binary), then the same suites
# under AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
start=$(date +%s)
echo "== npm packages for the tests (tests/js)"
npm ci --prefix tests/js --no-audit --no-fund --loglevel=error

echo "== build"
bash scripts/build.sh
echo "== tests"
ctest --test-dir build --output-on-failure -j 2 --timeout 600

if [ "${SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "== sanitizer build (ASan + UBSan)"
  BUILD_DIR=build-asan BUILD_TYPE=Debug CMAKE_ARGS=-DCTLFLOW_SANITIZE=ON bash scripts/build.sh
  echo "== tests under sanitizers"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j 2 --timeout 900
fi
echo "== all tests passed in $(( $(date +%s) - start )) s"
