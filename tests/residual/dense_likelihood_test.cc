// The whitening evaluator against the dense formulas, for structures without an nlme counterpart
// (toeplitz, by-level correlation parameters) and a few with one. With V0 = Z Lambda Lambda' Z' + R
// (relative to sigma^2) [Pinheiro & Bates 2000, sec. 2.2; Bates et al. 2015, eqs. 34, 41]:
//   beta = (X'V0^-1 X)^-1 X'V0^-1 y,  pwrss = (y - X beta)'V0^-1 (y - X beta),
//   ML   -2l   = log|V0| + n (1 + log(2 pi pwrss / n)),
//   REML -2l_R = log|V0| + log|X'V0^-1 X| + (n - p)(1 + log(2 pi pwrss / (n - p))).
// Both sides are sums of ~n terms in double precision; 1e-9 relative covers the rounding.
#include <gtest/gtest.h>

#include <cmath>

#include "likelihood/residual/residual_evaluator.h"
#include "lmm/error.h"
#include "lmm/load.h"
#include "model/theta_layout.h"

namespace lmm {
namespace {

double DenseObjective(const ModelFrame& f, const residual::Clusters& clusters,
                      residual::ResidualStructure& structure, const std::vector<double>& theta,
                      const std::vector<double>& u, bool reml) {
  const int64_t n = f.n();
  const ThetaLayout layout(f);
  Eigen::MatrixXd v = Eigen::MatrixXd::Zero(n, n);
  for (size_t t = 0; t < f.random.size(); ++t) {
    const RandomEffectTerm& term = f.random[t];
    const Eigen::MatrixXd rel =
        layout.term(static_cast<int>(t))
            .RelativeCovariance(layout.TermTheta(theta, static_cast<int>(t)));
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j)
        if (term.level[i] == term.level[j])
          v(i, j) += term.z.row(i).dot(rel * term.z.row(j).transpose());
  }
  structure.Prepare(u);
  Eigen::MatrixXd r;
  for (int64_t c = 0; c < clusters.size(); ++c) {
    structure.ClusterCovariance(c, r);
    const int64_t b = clusters.offsets[c];
    for (int64_t i = 0; i < r.rows(); ++i)
      for (int64_t j = 0; j < r.rows(); ++j)
        v(clusters.rows[b + i], clusters.rows[b + j]) += r(i, j);
  }
  const Eigen::LLT<Eigen::MatrixXd> llt(v);
  const Eigen::MatrixXd vx = llt.solve(f.x);
  const Eigen::MatrixXd xvx = f.x.transpose() * vx;
  const Eigen::VectorXd beta = xvx.ldlt().solve(vx.transpose() * f.y);
  const Eigen::VectorXd res = f.y - f.x * beta;
  const double pwrss = res.dot(llt.solve(res));
  const Eigen::MatrixXd l = llt.matrixL();
  const double logdet_v = 2 * l.diagonal().array().log().sum();
  const double dof = static_cast<double>(reml ? n - f.p() : n);
  double dev = logdet_v + dof * (1 + std::log(2 * M_PI * pwrss / dof));
  if (reml) dev += std::log(xvx.determinant());
  return dev;
}

struct Case {
  std::string data, formula, spec;
  std::vector<double> theta, u;
};

class DenseLikelihood : public ::testing::TestWithParam<Case> {};

TEST_P(DenseLikelihood, WhiteningEqualsDenseFormula) {
  const Case& k = GetParam();
  const std::string path = std::string(LMM_SHARED_DIR) + "/data/" + k.data;
  LoadOptions lo;
  lo.data_path = path;
  lo.formula = k.formula;
  const ModelFrame frame = LoadModel(lo).frame;
  const residual::ResidualSpec spec = residual::ParseResidualSpec(k.spec);
  CsvOptions co;
  co.keep = std::vector<std::string>{};
  if (!spec.time.empty()) co.keep->push_back(spec.time);
  if (!spec.by.empty()) co.keep->push_back(spec.by);
  if (!spec.group.empty() && spec.group != spec.by) co.keep->push_back(spec.group);
  const std::vector<Column> columns = ReadCsv(path, co).columns;
  const residual::Clusters clusters = residual::BuildClusters(frame, spec, columns);
  residual::ResidualStructure structure(spec, clusters);
  ASSERT_EQ(static_cast<int>(k.u.size()), structure.size());
  ResidualEvaluator ev(frame, clusters, structure, EvaluatorOptions{});
  ASSERT_TRUE(ev.SetResidualParameters(k.u).ok());
  ASSERT_TRUE(ev.Update(k.theta).ok());
  for (const bool reml : {false, true}) {
    const double dense = DenseObjective(frame, clusters, structure, k.theta, k.u, reml);
    EXPECT_NEAR(ev.Objective(reml), dense, 1e-9 * std::abs(dense)) << (reml ? "REML" : "ML");
  }
}

INSTANTIATE_TEST_SUITE_P(Residual, DenseLikelihood,
                         ::testing::Values(Case{"ovary.csv",
                                                "follicles ~ sin1 + cos1 + (1 | Mare)",
                                                "toeplitz(3, time = time)",
                                                {0.7},
                                                {0.5, 0.2, -0.1}},
                                           Case{"ovary.csv",
                                                "follicles ~ sin1 + cos1 + (1 | Mare)",
                                                "ar(3, time = time)",
                                                {0.7},
                                                {0.8, -0.3, 0.2}},
                                           Case{"ovary.csv",
                                                "follicles ~ sin1 + cos1 + (1 | Mare)",
                                                "ma(2, time = time)",
                                                {1.1},
                                                {0.4, -0.6}},
                                           Case{"orthodont.csv",
                                                "distance ~ age + Sex + (1 | Subject)",
                                                "ar(1, time = age, by = Sex)",
                                                {0.9},
                                                {0.6, -0.4, 0.3}},
                                           Case{"orthodont.csv",
                                                "distance ~ age + Sex + (1 | Subject)",
                                                "exchangeable(by = Sex)",
                                                {0.9},
                                                {0.6, -1.0, -0.3}},
                                           Case{"orthodont.csv",
                                                "distance ~ age + (age | Subject)",
                                                "exponential(time = age, by = Sex)",
                                                {0.9, 0.1, 0.2},
                                                {-0.5, 1.0, 0.4}},
                                           Case{"orthodont.csv",
                                                "distance ~ age + Sex + (1 | Subject)",
                                                "independent(by = Sex)",
                                                {0.9},
                                                {0.8}},
                                           Case{"orthodont.csv",
                                                "distance ~ age + Sex + (1 | Subject)",
                                                "banded(0, time = age)",
                                                {0.9},
                                                {-0.2, 0.1, 0.3}},
                                           Case{"orthodont.csv",
                                                "distance ~ age + Sex + (1 | Subject)",
                                                "banded(1, time = age)",
                                                {0.9},
                                                {0.5, 0.2, 0.4, -0.2, 0.1, 0.3}},
                                           Case{"orthodont.csv",
                                                "distance ~ age + (1 | Subject)",
                                                "unstructured(time = age, by = Sex)",
                                                {0.4},
                                                {0.5, 0.2, 0.4, -0.2, 0.1, 0.3, 0.1, 0.2, 0.3, 0.4,
                                                 0.5, 0.6, -0.2, 0.1, 0.3, 0.2, 0.1, 0.3, 0.1}}));

}  // namespace
}  // namespace lmm
