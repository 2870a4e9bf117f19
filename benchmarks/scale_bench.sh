#!/usr/bin/env bash
# Streaming build and MPI benchmark (benchmarks/README.md, "Data larger than memory and MPI").
#   benchmarks/scale_bench.sh BUILD_DIR [WORK_DIR] [BIG_ROWS]
# Simulates 1e7 rows and BIG_ROWS (default 1e8, about 4.6 GB) of y ~ x1 + x2 + (1 + x1 | g) with
# 100000 clusters in random row order under WORK_DIR (default /tmp/lmm_scale_bench, removed at the
# end), then reports peak RSS (/usr/bin/time -v) and times of: the streaming fit of the big file
# under --memory-limit 2G; the in-memory and streaming fits of the 1e7-row file (and the largest
# difference between their reports); the one-pass build of the 1e7-row file with mpirun -np 1 and 2.
set -euo pipefail
build=${1:?usage: scale_bench.sh BUILD_DIR [WORK_DIR] [BIG_ROWS]}
work=${2:-/tmp/lmm_scale_bench}
big_rows=${3:-100000000}
lmm=$(cd "$build" && pwd)/lmmgpu
formula='y ~ x1 + x2 + (1 + x1 | g)'
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
cd "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

sim() { "$lmm" simulate --output "$1" --rows "$2" --clusters 100000 --cluster-sizes random \
          --covariates 2 --slopes 1 --seed 3; }
peak() { grep -E "Maximum resident|Elapsed" "$1" | sed 's/^\s*/  /'; }
build_times() { python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['streaming']; \
print('  scan %.1f s, build %.1f s, peak RSS %.0f MiB (max over ranks)' % \
(s['scan_seconds'], s['build_seconds'], s['peak_rss_bytes_max_rank'] / 2**20))" "$1"; }

echo "load before: $(uptime)"
sim r1e7.csv 10000000
sim big.csv "$big_rows"
ls -l r1e7.csv big.csv

echo "== streaming fit, $big_rows rows, --memory-limit 2G"
/usr/bin/time -v "$lmm" fit --data big.csv --formula "$formula" --format json \
  --output big.json --memory-limit 2G 2> big.time
peak big.time; build_times big.json

echo "== 1e7 rows: in memory (--backend cpu)"
/usr/bin/time -v "$lmm" fit --data r1e7.csv --formula "$formula" --format json \
  --output mem.json --backend cpu 2> mem.time
peak mem.time
echo "== 1e7 rows: streaming (--memory-limit 2G)"
/usr/bin/time -v "$lmm" fit --data r1e7.csv --formula "$formula" --format json \
  --output str.json --memory-limit 2G 2> str.time
peak str.time; build_times str.json
python3 - <<'PY'
import json
a, b = json.load(open('mem.json')), json.load(open('str.json'))
def walk(x, y, p, out):
    if isinstance(x, dict):
        for k in x:
            if k not in ('convergence', 'streaming'): walk(x[k], y[k], p + '/' + k, out)
    elif isinstance(x, list):
        for i, (u, v) in enumerate(zip(x, y)): walk(u, v, p + '/' + str(i), out)
    elif isinstance(x, float):
        out.append((abs(x - y) / max(abs(x), 1e-300), p))
out = []
walk(a, b, '', out)
est = [o for o in out if '/random_effects' not in o[1] and '/residual' not in o[1]
       or o[1].endswith(('variance', 'std_dev', 'covariance', 'correlation'))]
print('  in memory vs streaming: loglik %.17g vs %.17g' % (a['loglik'], b['loglik']))
print('  largest relative difference, estimates/SEs of beta/theta/variances: %.1e (%s)' % max(est))
print('  largest relative difference, anything (incl. finite-difference SEs): %.1e (%s)' % max(out))
PY
# One thread per rank (--threads 1: the CSV parser would otherwise use both cores in one rank),
# then one rank with all cores. --bind-to none: on a shared machine OpenMPI's default binding pins
# each rank to one core whatever else runs there.
for run in "1 1" "2 1" "1 0"; do
  set -- $run
  echo "== 1e7 rows: mpirun -np $1 --threads $2 (0: all cores; one-pass build timed separately)"
  /usr/bin/time -v mpirun --oversubscribe --bind-to none -np "$1" "$lmm" fit --data r1e7.csv \
    --formula "$formula" --format json --output "np$1t$2.json" --memory-limit 1G \
    --threads "$2" 2> "np$1t$2.time"
  peak "np$1t$2.time"; build_times "np$1t$2.json"
done
echo "load after: $(uptime)"
