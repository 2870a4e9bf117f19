// Launchers of the multi-term (crossed, nested) kernels (kernels/level_kernels.cu). Plain C++:
// callable from host code compiled by g++ (src/likelihood/gpu/).
//
// One evaluation is, on `stream` (the dense Cholesky between steps 3 and 4 is cuSOLVER's):
//  1. EliminateLevels: one thread per level of block 0 runs EliminateLevel (level_math.h),
//     writing P_c, 2 log det L_c and whether L_c could be formed;
//  2. FormRest: one thread per entry of S writes ScaledRestEntry (lower) or 0 (strict upper);
//  3. DowndateColumns: one block per term column j < mt of S walks the column's items in level
//     order (DowndateItem), its threads splitting each item's rows, with a barrier between items:
//     every entry receives its terms in level order, from one thread at a time. The (p+1) x (p+1)
//     [X y] block, whose columns have one item per level (too long to walk serially when there
//     are many levels), is summed per entry over levels in a fixed tree (TrailingProduct). No
//     atomics anywhere, so the result does not depend on scheduling;
//  4. LevelLogdet (after S = L_S L_S'): one block sums the level log-determinants and
//     2 log L_S(i, i), i < mt, in a fixed tree, and finds the first level that failed.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "level_math.h"

namespace lmm::kernels {

struct LevelPassArgs {
  LevelView levels;                     // device pointers
  RestLambdas rest;                     // device pointers
  RestRows rows;                        // device pointers
  ColumnItems items;                    // device pointers
  const double* d_lambda0 = nullptr;    // q0 x q0
  const double* d_a = nullptr;          // m x m: A, both triangles
  double* d_panels = nullptr;           // P_c, layout of levels.panel
  double* d_level_logdet = nullptr;     // levels.levels: 2 log det L_c
  unsigned char* d_level_ok = nullptr;  // levels.levels: 1 when L_c was formed
  double* d_s = nullptr;                // m x m: S, column-major
};

// Steps 1-3. Returns the first launch error (cudaGetLastError after each launch); with
// `sync_each_launch` also synchronizes the stream after each launch (debugging).
cudaError_t LaunchLevelPass(const LevelPassArgs& args, cudaStream_t stream, bool sync_each_launch);

struct LevelLogdetArgs {
  const double* d_level_logdet = nullptr;
  const unsigned char* d_level_ok = nullptr;
  int64_t levels = 0;
  const double* d_factor = nullptr;  // m x m: L_S (lower)
  int64_t m = 0, mt = 0;
  double* d_logdet = nullptr;     // 1: log|L|^2 (meaningful when no level failed)
  long long* d_failed = nullptr;  // 1: first level whose L_c failed, or -1
};

// Step 4 (one launch).
cudaError_t LaunchLevelLogdet(const LevelLogdetArgs& args, cudaStream_t stream,
                              bool sync_each_launch);

}  // namespace lmm::kernels
