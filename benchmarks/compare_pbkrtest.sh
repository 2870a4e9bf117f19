#!/usr/bin/env bash
# Kenward-Roger side by side: `lmmgpu fit --ddf kenward-roger` against R's pbkrtest (KRmodcomp,
# which computes vcovAdj, on the lmer fit) on the same simulated data. Needs R with lme4, pbkrtest
# and /usr/bin/time.
#   benchmarks/compare_pbkrtest.sh [BUILD_DIR] [R_LIMIT_SECONDS]
# R_LIMIT_SECONDS (default 600) bounds the R run through `timeout`; 0 skips R.
# Cases:
#  crossed n = 2,000 (200 levels of g, 50 of h), where pbkrtest finishes, and the target case,
#    y ~ x1 + (1 + x1 | g) + (1 | h), n = 5,000, 500 levels of g, 50 of h (the data of
#    lmm_ddf_bench: `lmmgpu simulate --rows 5000 --clusters 500 --crossed 50 --covariates 1`);
#  nested: y ~ x1 + (1 + x1 | g), 1,000,000 rows in 100,000 clusters (lmmgpu only: pbkrtest's
#    vcovAdj works with dense n x n matrices, 8 TB at this n).
# lmmgpu is timed with and without --ddf kenward-roger; the difference is the Kenward-Roger work.
# R prints the lmer fit time and the KRmodcomp time separately. Prints the load average first: the
# figures mean little without it on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
limit=${2:-600}
exe=$build/lmmgpu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"

run() {  # name, command...: wall seconds and peak RSS, and the x1 line of the JSON output
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err"; return 1; }
  read -r secs kb <"$tmp/time"
  local x1
  x1=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
fe = [f for f in r["fixed_effects"] if f["term"] == "x1"][0]
print("x1: se %.6g df %.6g" % (fe["std_error"], fe.get("df") or float("nan")))' "$tmp/out" 2>/dev/null || true)
  printf '%-44s %8.2f s %7.0f MiB   %s\n' "$name" "$secs" "$((kb / 1024))" "$x1"
}

cat >"$tmp/kr.R" <<'RSCRIPT'
# Rscript kr.R DATA FORMULA: lmer (REML) then pbkrtest::KRmodcomp for the x1 coefficient.
a <- commandArgs(trailingOnly = TRUE)
suppressMessages({ library(lme4); library(pbkrtest) })
d <- read.csv(a[[1]])
t0 <- proc.time()[["elapsed"]]
fit <- lmer(as.formula(a[[2]]), d, REML = TRUE)
t1 <- proc.time()[["elapsed"]]
cat(sprintf("pbkrtest: lmer fit %.2f s\n", t1 - t0))
L <- matrix(as.numeric(names(fixef(fit)) == "x1"), nrow = 1)
kr <- KRmodcomp(fit, L)
t2 <- proc.time()[["elapsed"]]
se <- sqrt(vcovAdj(fit)[2, 2])
cat(sprintf("pbkrtest: KRmodcomp %.2f s; x1: F %.6g ddf %.6g (KR se %.6g, vcovAdj again %.2f s)\n",
            t2 - t1, kr$test["Ftest", "stat"], kr$test["Ftest", "ddf"], se,
            proc.time()[["elapsed"]] - t2))
RSCRIPT

f1='y ~ x1 + (1 + x1 | g) + (1 | h)'
crossed() {  # rows, levels of g: lmmgpu with and without KR, then pbkrtest under the time limit
  local rows=$1 clusters=$2
  "$exe" simulate --output "$tmp/crossed.csv" --rows "$rows" --clusters "$clusters" --crossed 50 \
    --covariates 1 >/dev/null
  run "crossed n=$rows, $clusters g, 50 h: lmmgpu fit" "$exe" fit --format json \
    --data "$tmp/crossed.csv" --formula "$f1"
  run "crossed n=$rows: lmmgpu fit --ddf kr" "$exe" fit --format json --ddf kenward-roger \
    --data "$tmp/crossed.csv" --formula "$f1"
  if [ "$limit" -gt 0 ]; then
    local start status=0
    start=$(date +%s)
    timeout "$limit" Rscript "$tmp/kr.R" "$tmp/crossed.csv" "$f1" || status=$?
    if [ "$status" -eq 0 ]; then
      echo "pbkrtest: whole R run $(($(date +%s) - start)) s"
    else
      echo "pbkrtest: did not finish within ${limit} s (exit $status); stopped"
    fi
  fi
}
# n = 2,000 (200 levels of g) first: the size at which pbkrtest still finishes here.
crossed 2000 200
crossed 5000 500

"$exe" simulate --output "$tmp/nested.csv" --rows 1000000 --clusters 100000 --covariates 1 >/dev/null
f2='y ~ x1 + (1 + x1 | g)'
run "nested 1M rows/100k: lmmgpu fit (REML)" "$exe" fit --format json --data "$tmp/nested.csv" --formula "$f2"
run "nested 1M rows/100k: lmmgpu fit --ddf kr" "$exe" fit --format json --ddf kenward-roger \
  --data "$tmp/nested.csv" --formula "$f2"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
