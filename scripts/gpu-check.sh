#!/usr/bin/env bash
# The first checks to run on a GPU machine, in phases that each fit a 10-minute window:
#
#   scripts/gpu-check.sh build    # configure + build (sm_90 unless CUDA_ARCH is set), --version
#   scripts/gpu-check.sh test     # GPU tests, then backend-choice, kernel-host and MPI-per-GPU tests
#   scripts/gpu-check.sh bench    # lmm_gpu_bench: nested q = 2, p = 4, 1e4..1e6 clusters, fits, InstEval
#   scripts/gpu-check.sh bench1e7 # lmm_gpu_bench with 1e7 clusters (1e8 rows) added, no fits
#   scripts/gpu-check.sh bench2   # residual (AR(1)), Kenward-Roger and 10,000-response benchmarks
#   scripts/gpu-check.sh big      # the ml-32m-shaped crossed model (needs an H200's memory)
#
# Logs go to $LOG_DIR (default: $OUT when set, else ./gpu-check-logs), one file per phase, together
# with nvidia-smi's view of the device and the commit, so figures can be quoted with both.
# The build directory (build-gpu-check) is reused by later phases; nothing here needs a network.
set -euo pipefail
cd "$(dirname "$0")/.."
phase="${1:-}"
build=build-gpu-check
log_dir="${LOG_DIR:-${OUT:-gpu-check-logs}}"
mkdir -p "$log_dir"
log="$log_dir/gpu-check-$phase.log"
jobs="$(nproc)"

header() {
  echo "== gpu-check $phase: $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv 2>&1 || true
}

run_build() {
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCH:-90}" -DLMM_BUILD_FUZZERS=OFF
  cmake --build "$build" -j"$jobs"
  "$build/lmmgpu" --version
}

run_test() {
  # The GPU tests first: they are what no other machine can run.
  ctest --test-dir "$build" -L '^gpu$' --output-on-failure -j4 --timeout 300 || status=$?
  ctest --test-dir "$build" -L 'gpu_cli|kernels_host|dist' --output-on-failure -j"$jobs" \
    --timeout 300 || status=$?
  return "${status:-0}"
}

run_bench() {
  # Defaults are 1e4, 1e5 and 1e6 clusters of 10 rows (--fit fits the largest, the issue's 1e6,
  # and InstEval and the simulated crossed model on both backends).
  "$build/benchmarks/lmm_gpu_bench" --fit
}

run_bench1e7() {
  # Adds 1e7 clusters (1e8 rows); keeps the one-time-pass section short.
  "$build/benchmarks/lmm_gpu_bench" --clusters 10000000 --pass-rows 1000000
}

run_bench2() {
  local b="$build/benchmarks"
  "$b/lmm_gpu_residual_bench"
  "$b/lmm_gpu_ddf_bench"
  "$b/lmm_gpu_responses_bench" --cpu-responses 1000
}

run_big() {
  "$build/benchmarks/lmm_gpu_bench" --users 200948 --items 84432 --ratings 32000000 --skew --pass-rows 1000000
}

case "$phase" in
  build | test | bench | bench1e7 | bench2 | big) ;;
  *)
    echo "usage: scripts/gpu-check.sh build|test|bench|bench1e7|bench2|big" >&2
    exit 2
    ;;
esac
{
  header
  "run_$phase"
} 2>&1 | tee "$log"
exit "${PIPESTATUS[0]}"
