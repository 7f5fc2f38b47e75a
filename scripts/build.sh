#!/usr/bin/env bash
# Configures and builds ctlflow into build/ (the binary is build/ctlflow).
# BUILD_DIR and CMAKE_ARGS may be set to build a variant, e.g. sanitizers.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} ${CMAKE_ARGS:-} >/dev/null
ninja -C "$build_dir" -j "$(nproc)" "$@"
