#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors, and runs every test (CTest). GPU tests
# skip themselves on machines without a CUDA device.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh -DLMM_WARNINGS_AS_ERRORS=ON
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 900
