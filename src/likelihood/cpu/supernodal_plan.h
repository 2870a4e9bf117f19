// Symbolic analysis for the supernodal (multifrontal) Cholesky factorization of a sparse symmetric
// positive definite matrix: fill-reducing ordering, elimination tree, supernodes and the index
// maps of the numeric phase. Done once per model; the numeric phase (supernodal_cholesky.h) then
// repeats only arithmetic.
//
// References: T. A. Davis, Direct Methods for Sparse Linear Systems (SIAM 2006), ch. 4 (elimination
// tree, postorder, column structures); J. W. H. Liu, "The multifrontal method for sparse matrix
// solution", SIAM Review 34 (1992); Chen, Davis, Hager & Rajamanickam, "CHOLMOD", ACM TOMS 35 (2008)
// (relaxed amalgamation rules); Amestoy, Davis & Duff (1996) for AMD (Eigen's implementation).
#pragma once

#include <cstdint>
#include <vector>

namespace lmm::cpu {

// The structure of the lower triangle of a symmetric n x n matrix: for each column j (original
// order), the rows i > j that may be nonzero (sorted, unique).
using LowerPattern = std::vector<std::vector<int32_t>>;

struct SupernodalPlan {
  int64_t n = 0;
  // perm[k]: original index of the k-th pivot. The last `tail` indices are kept last, in order.
  std::vector<int32_t> perm;
  // Supernode s holds pivots [first[s], first[s + 1]); its front has rows rows[row_off[s] ..
  // row_off[s + 1]) (pivot indices, increasing): its own columns, then the rows below them.
  std::vector<int64_t> first;
  std::vector<int64_t> row_off;
  std::vector<int32_t> rows;
  // Parent supernode (-1 for a root); children precede their parent.
  std::vector<int32_t> parent;
  // Front storage: front s is a dense column-major square of side front_size(s) at
  // front_off[s] (doubles); total front_off.back().
  std::vector<int64_t> front_off;
  // Extend-add map: for supernode s, the positions in its parent's rows of s's rows below its
  // own columns, at map[map_off[s] .. map_off[s + 1]).
  std::vector<int64_t> map_off;
  std::vector<int32_t> map;
  // Per map entry x (relative to map_off[s]): the end of the run of consecutive positions
  // containing it, so that map[x + i] = map[x] + i for x + i < map_run[x].
  std::vector<int32_t> map_run;
  // Flops of the numeric phase (sum over pivots of rows-below^2, stored zeros included) and
  // entries of L as stored.
  double flops = 0;
  int64_t factor_entries = 0;

  int64_t num_supernodes() const { return static_cast<int64_t>(first.size()) - 1; }
  int64_t columns(int64_t s) const { return first[s + 1] - first[s]; }
  int64_t front_size(int64_t s) const { return row_off[s + 1] - row_off[s]; }
};

// Plans the factorization of the matrix with lower-triangle structure `pattern` (diagonal
// implied). The leading n - tail indices are ordered by AMD; the last `tail` keep their places.
// Returns false (plan unusable) when the stored factor would exceed max_entries.
bool PlanSupernodal(const LowerPattern& pattern, int64_t tail, int64_t max_entries,
                    SupernodalPlan& plan);

}  // namespace lmm::cpu
