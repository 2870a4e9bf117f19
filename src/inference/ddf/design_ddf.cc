#include "inference/ddf/design_ddf.h"

#include <algorithm>
#include <cmath>

#include "lmm/error.h"

namespace lmm::inference::ddf {
namespace {

// Numerical rank of a symmetric positive semidefinite matrix `a` obtained from `reference` by
// subtracting a projection (a Schur complement), scaled by reference's diagonal so that the
// columns' units do not matter and cancellation noise stays small.
int SymmetricRank(const Eigen::MatrixXd& a, const Eigen::MatrixXd& reference) {
  if (a.rows() == 0) return 0;
  Eigen::VectorXd s(a.rows());
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    s(i) = reference(i, i) > 0 ? 1 / std::sqrt(reference(i, i)) : 0.0;
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(s.asDiagonal() * a * s.asDiagonal(),
                                                           Eigen::EigenvaluesOnly);
  const double top = std::max(1.0, eig.eigenvalues().cwiseAbs().maxCoeff());
  int rank = 0;
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    if (eig.eigenvalues()(i) > 1e-9 * top) ++rank;
  return rank;
}

}  // namespace

std::vector<double> ResidualDf(const ModelFrame& frame) {
  return std::vector<double>(static_cast<size_t>(frame.p()),
                             static_cast<double>(frame.n() - frame.p()));
}

std::vector<double> BetweenWithinDf(const ModelFrame& frame) {
  if (frame.random.empty()) return ResidualDf(frame);
  const RandomEffectTerm& g = frame.random[0];
  for (const RandomEffectTerm& re : frame.random)
    if (re.grouping_factor != g.grouping_factor || re.levels != g.levels)
      throw UsageError(
          "--ddf between-within needs a two-level model (one grouping factor); use "
          "containment, satterthwaite or kenward-roger");
  const int p = frame.p();
  std::vector<bool> between(static_cast<size_t>(p), true);
  for (int j = 0; j < p; ++j) {
    std::vector<double> first(static_cast<size_t>(g.levels), std::nan(""));
    for (int64_t i = 0; i < frame.n() && between[j]; ++i) {
      double& f = first[static_cast<size_t>(g.level[static_cast<size_t>(i)])];
      if (std::isnan(f))
        f = frame.x(i, j);
      else if (f != frame.x(i, j))
        between[j] = false;
    }
  }
  const auto p_between = static_cast<int64_t>(std::count(between.begin(), between.end(), true));
  const double df_between = static_cast<double>(g.levels - p_between);
  const double df_within = static_cast<double>(frame.n() - g.levels - (p - p_between));
  std::vector<double> df;
  for (int j = 0; j < p; ++j) df.push_back(between[j] ? df_between : df_within);
  return df;
}

int64_t RankXZ(const ModelFrame& frame, const ClusterPartition& partition) {
  const Eigen::MatrixXd xtx = frame.x.transpose() * frame.x;
  Eigen::MatrixXd xpx = xtx;
  int64_t rank_z = 0;
  Eigen::MatrixXd ztz, ztx;
  for (int64_t c = 0; c < partition.clusters; ++c) {
    ClusterCrossProducts(frame, partition, c, frame.x, &ztz, &ztx);
    if (ztz.rows() == 0) continue;
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(ztz);
    const double top = eig.eigenvalues().cwiseAbs().maxCoeff();
    Eigen::VectorXd inv(ztz.rows());
    for (Eigen::Index i = 0; i < ztz.rows(); ++i) {
      const bool pos = eig.eigenvalues()(i) > 1e-9 * top;
      rank_z += pos;
      inv(i) = pos ? 1 / eig.eigenvalues()(i) : 0.0;
    }
    const Eigen::MatrixXd ux = eig.eigenvectors().transpose() * ztx;
    xpx -= ux.transpose() * inv.asDiagonal() * ux;
  }
  return rank_z + SymmetricRank(0.5 * (xpx + xpx.transpose()), xtx);
}

std::vector<double> ContainmentDf(const ModelFrame& frame, const ClusterPartition& partition) {
  const double df_outer = static_cast<double>(frame.n() - RankXZ(frame, partition));
  std::vector<double> df;
  for (const std::string& name : frame.fixed_names) {
    double d = df_outer;
    bool contained = false;
    for (const RandomEffectTerm& re : frame.random)
      if (std::find(re.names.begin(), re.names.end(), name) != re.names.end()) {
        const double levels_df = static_cast<double>(re.levels - 1);
        d = contained ? std::min(d, levels_df) : levels_df;
        contained = true;
      }
    df.push_back(d);
  }
  return df;
}

}  // namespace lmm::inference::ddf
