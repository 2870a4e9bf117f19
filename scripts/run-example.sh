#!/usr/bin/env bash
# The main job: installs what is missing, builds, and fits the bundled sleepstudy example by REML.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
./build/lmmgpu describe --data examples/sleepstudy.csv --formula "Reaction ~ Days + (Days | Subject)"
./build/lmmgpu fit --data examples/sleepstudy.csv --formula "Reaction ~ Days + (Days | Subject)"
