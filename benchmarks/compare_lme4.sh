#!/usr/bin/env bash
# Side-by-side wall time and peak memory of `lmmgpu fit` and R's lme4 on the same data and model,
# reading the CSV included. Needs R with lme4 (apt-get install r-cran-lme4) and /usr/bin/time.
#   benchmarks/compare_lme4.sh [BUILD_DIR]
# Cases: the insteval ML fit (../shared/data/insteval.csv) and a simulated 1M-row, 100k-cluster
# random intercept and slope model. Prints one line per case and tool.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
exe=$build/lmmgpu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

measure() {  # name, command...: prints wall seconds and peak RSS (MiB)
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err"; return 1; }
  read -r secs kb <"$tmp/time"
  printf '%-28s %8.2f s %8.0f MiB   %s\n' "$name" "$secs" "$((kb / 1024))" "$(grep -m1 -E 'loglik|Log' "$tmp/out" | tr -s ' ' | cut -c1-60)"
}

cat >"$tmp/lme4.R" <<'RSCRIPT'
# Rscript lme4.R DATA FORMULA REML: read the CSV and fit with lme4 (bobyqa), print the log-likelihood.
a <- commandArgs(trailingOnly = TRUE)
suppressMessages(library(lme4))
d <- read.csv(a[[1]])
f <- lmer(as.formula(a[[2]]), d, REML = as.logical(a[[3]]),
          control = lmerControl(optimizer = "bobyqa"))
cat("loglik", format(as.numeric(logLik(f)), digits = 12), "\n")
RSCRIPT

insteval=../shared/data/insteval.csv
f1='y ~ service + (1 | s) + (1 | d) + (1 | dept:service)'
measure "insteval ML: lmmgpu" "$exe" fit --ml --data "$insteval" --formula "$f1"
measure "insteval ML: lme4" Rscript "$tmp/lme4.R" "$insteval" "$f1" FALSE

"$exe" simulate --output "$tmp/sim.csv" --rows 1000000 --clusters 100000 --covariates 4 --slopes 1
f2='y ~ x1 + x2 + x3 + x4 + (1 + x1 | g)'
measure "1M rows/100k clusters: lmmgpu" "$exe" fit --data "$tmp/sim.csv" --formula "$f2"
measure "1M rows/100k clusters: lme4" Rscript "$tmp/lme4.R" "$tmp/sim.csv" "$f2" TRUE
