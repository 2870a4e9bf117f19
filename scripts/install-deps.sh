#!/usr/bin/env bash
# Installs the Debian 12 packages lmmgpu builds with, when any is missing (uses sudo when not root).
# The CUDA toolkit is optional: without nvcc the CPU backend alone is built.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config libeigen3-dev libnlopt-cxx-dev libcli11-dev
      nlohmann-json3-dev libfmt-dev libboost-math-dev libgtest-dev libgmock-dev libbenchmark-dev
      clang libclang-rt-dev
      libopenmpi-dev openmpi-bin)  # MPI: optional (mpirun -np K lmmgpu fit); built when found
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "lmmgpu: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
