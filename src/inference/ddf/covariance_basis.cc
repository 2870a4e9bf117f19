#include "inference/ddf/covariance_basis.h"

#include <fmt/format.h>

#include "lmm/error.h"

namespace lmm::inference::ddf {

std::vector<VarianceParameter> CovarianceBasis(const ModelFrame& frame,
                                               const std::vector<Eigen::MatrixXd>& sigma,
                                               double sigma2) {
  std::vector<VarianceParameter> params;
  for (int t = 0; t < static_cast<int>(frame.random.size()); ++t) {
    const RandomEffectTerm& re = frame.random[t];
    const int q = re.q();
    const Eigen::MatrixXd& s = sigma[static_cast<size_t>(t)];
    auto add = [&](Eigen::MatrixXd e, std::string name, double value) {
      VarianceParameter p;
      p.term = t;
      p.e = std::move(e);
      p.name = re.group + ": " + std::move(name);
      p.value = value;
      params.push_back(std::move(p));
    };
    const bool cs = re.structure == CovStructure::kCompoundSymmetry && q > 1;
    const bool diagonal = re.structure == CovStructure::kDiagonal && q > 1;
    if (q == 1 || (diagonal && re.homogeneous)) {
      add(Eigen::MatrixXd::Identity(q, q), q == 1 ? "var(" + re.names[0] + ")" : "var", s(0, 0));
    } else if (cs) {
      if (!re.homogeneous)
        throw UsageError(fmt::format(
            "--ddf satterthwaite/kenward-roger: the heterogeneous compound-symmetry term of '{}' "
            "is "
            "not linear in its variance parameters; use an unstructured or homogeneous term",
            re.group));
      add(Eigen::MatrixXd::Identity(q, q), "var - cov", s(0, 0) - s(1, 0));
      add(Eigen::MatrixXd::Ones(q, q), "cov", s(1, 0));
    } else {
      for (int j = 0; j < q; ++j)
        for (int i = j; i < q; ++i) {
          if (i != j && diagonal) continue;
          Eigen::MatrixXd e = Eigen::MatrixXd::Zero(q, q);
          e(i, j) = e(j, i) = 1;
          add(std::move(e),
              i == j ? "var(" + re.names[i] + ")" : "cov(" + re.names[j] + "," + re.names[i] + ")",
              s(i, j));
        }
    }
  }
  VarianceParameter residual;
  residual.name = "Residual";
  residual.value = sigma2;
  params.push_back(std::move(residual));
  return params;
}

}  // namespace lmm::inference::ddf
