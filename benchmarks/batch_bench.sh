#!/usr/bin/env bash
# Many responses, one design (issue 7): `lmmgpu fit --responses` against lme4's refit() loop.
# 100 responses share a design of 10,000 rows and 500 clusters (simulated in R, seed 42); models
# y ~ x + (1 | g) and y ~ x + (x | g), REML. Needs R with lme4 and bash 5 (EPOCHREALTIME).
#   benchmarks/batch_bench.sh [BUILD_DIR] [RESPONSES] [ROWS] [CLUSTERS] [REPEATS]
# lme4: lmer() on the first response, then refit(newresp =) for each other one, timed inside R
# after read.csv (R start-up and reading excluded). lmmgpu: the whole process, reading the CSV,
# building the design and writing the JSON array (--output, one fsync) included (conservative for
# lmmgpu), and the sum of the per-response fit times ("seconds"), with all cores (responses in
# parallel) and with one thread. Agreement: log-likelihoods against fresh lmer() fits of the first
# five responses, sigma and the slope against every refit.
# REPEATS rounds (default 3) run lme4 and lmmgpu alternately, so that both see the same load (the
# 1-minute load average is printed with each round); the last lines give the median of each.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
responses=${2:-100}
rows=${3:-10000}
clusters=${4:-500}
repeats=${5:-3}
exe=$build/lmmgpu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/data.R" <<'RSCRIPT'
a <- as.integer(commandArgs(trailingOnly = TRUE))
set.seed(42)
n <- a[[2]]; G <- a[[3]]; R <- a[[1]]
g <- factor(sprintf("c%04d", rep(seq_len(G), length.out = n)))
x <- round(runif(n, 0, 10), 4)
d <- data.frame(x = x, g = g)
for (r in seq_len(R)) {
  b0 <- rnorm(G, sd = runif(1, 0.5, 2)); b1 <- rnorm(G, sd = runif(1, 0.05, 0.3))
  d[[sprintf("y%04d", r)]] <- round(1 + 0.3 * x + b0[g] + b1[g] * x + rnorm(n), 6)
}
write.csv(d, "data.csv", row.names = FALSE)
RSCRIPT

cat >"$tmp/refit.R" <<'RSCRIPT'
# Rscript refit.R RHS: lmer on the first response, refit() on the others; prints seconds.
rhs <- commandArgs(trailingOnly = TRUE)[[1]]
suppressMessages(library(lme4))
d <- read.csv("data.csv")
ys <- grep("^y", names(d), value = TRUE)
t0 <- proc.time()[["elapsed"]]
d$.y <- d[[ys[1]]]
m <- lmer(as.formula(paste(".y", rhs)), data = d, REML = TRUE)
fits <- vector("list", length(ys)); fits[[1]] <- m
for (k in seq_along(ys)[-1]) fits[[k]] <- refit(m, newresp = d[[ys[k]]])
cat(sprintf("%.4f\n", proc.time()[["elapsed"]] - t0))
# Untimed: estimates of every refit, and the log-likelihood of fresh lmer() fits of the first five
# responses (refit()'s logLik() differs from a fresh fit's by up to ~1 here although theta, sigma
# and beta agree to 1e-7, so the log-likelihoods are compared with fresh fits).
fresh <- sapply(seq_along(ys), function(k) {
  if (k > 5) return(NA)
  d$.y <- d[[ys[k]]]
  as.numeric(logLik(lmer(as.formula(paste(".y", rhs)), data = d, REML = TRUE)))
})
write.csv(data.frame(response = ys, loglik = fresh,
                     sigma = sapply(fits, sigma), x = sapply(fits, function(f) fixef(f)[["x"]])),
          "lme4.csv", row.names = FALSE)
RSCRIPT

(cd "$tmp" && Rscript data.R "$responses" "$rows" "$clusters")
echo "data: $responses responses, $rows rows, $clusters clusters; $(nproc) cores; $(date -u +%FT%TZ)"
load() { cut -d' ' -f1 /proc/loadavg; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
for rhs in "~ x + (1 | g)" "~ x + (x | g)"; do
  : >"$tmp/lme4.times"
  : >"$tmp/ours0.times"
  : >"$tmp/ours1.times"
  for round in $(seq "$repeats"); do
    lme4_load=$(load)
    lme4_s=$(cd "$tmp" && Rscript refit.R "$rhs" 2>"$tmp/r.err") || { cat "$tmp/r.err"; exit 1; }
    echo "$lme4_s" >>"$tmp/lme4.times"
    warnings=$(grep -c "failed to converge" "$tmp/r.err" || true)
    echo "$rhs: round $round: lme4 convergence warnings: $warnings; load average $lme4_load (lme4)"
    for threads in 0 1; do  # 0: all cores (responses in parallel); 1: one thread, as lme4
      ours_load=$(load)
      start=$EPOCHREALTIME  # microseconds (/usr/bin/time's 10 ms steps are 15% of a run here)
      "$exe" fit --data "$tmp/data.csv" --formula "$rhs" --responses 'y*' \
        --output "$tmp/all.json" --threads "$threads" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
      ours_s=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
      echo "$ours_s" >>"$tmp/ours$threads.times"
      python3 - "$tmp" "$rhs" "$lme4_s" "$ours_s" "$threads" "$ours_load" <<'PY'
import csv, json, sys
tmp, rhs, lme4_s, ours_s = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
threads = "all cores" if sys.argv[5] == "0" else "1 thread"
ours = {r["response"]: r for r in json.load(open(tmp + "/all.json"))}
ref = {r["response"]: r for r in csv.DictReader(open(tmp + "/lme4.csv"))}
ok = [r for r in ours.values() if r["status"] == "ok"]
fit_s = sum(float(r["seconds"]) for r in ok)
dll, dsigma, dx = 0.0, 0.0, 0.0
for k, r in ref.items():
    if ours[k]["status"] != "ok":
        continue
    fit = ours[k]
    if r["loglik"] != "NA":
        dll = max(dll, abs(fit["loglik"] - float(r["loglik"])))
    dsigma = max(dsigma, abs(fit["residual"]["std_dev"] / float(r["sigma"]) - 1))
    est = {fe["term"]: fe["estimate"] for fe in fit["fixed_effects"]}
    se = {fe["term"]: fe["std_error"] for fe in fit["fixed_effects"]}
    dx = max(dx, abs(est["x"] - float(r["x"])) / se["x"])
print(f"{rhs:15s} lme4 refit loop {lme4_s:6.2f} s | lmmgpu ({threads}) process {ours_s:5.3f} s, "
      f"sum of fits {fit_s:5.3f} s | ratio {lme4_s / ours_s:5.1f}x process, "
      f"{lme4_s / fit_s:5.1f}x fits | {len(ok)}/{len(ref)} ok | load {sys.argv[6]}")
print(f"{'':15s} vs lme4: max |dloglik| {dll:.1e} (fresh fits of 5), max rel. dsigma {dsigma:.1e}, "
      f"max |dbeta_x|/SE {dx:.1e} (all refits)")
PY
    done
  done
  lme4_med=$(median <"$tmp/lme4.times")
  for threads in 0 1; do
    ours_med=$(median <"$tmp/ours$threads.times")
    label=$([ "$threads" = 0 ] && echo "all cores" || echo "1 thread")
    awk -v r="$rhs" -v l="$lme4_med" -v o="$ours_med" -v n="$repeats" -v t="$label" 'BEGIN {
      printf "%-15s median of %d rounds: lme4 %.2f s, lmmgpu (%s) %.3f s: %.1fx\n", r, n, l, t, o, l / o }'
  done
done
