#include "model/term_covariance.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lmm {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Margin that keeps the cs() correlation strictly inside (-1/(q-1), 1), where R is positive
// definite; at the bound itself the Cholesky factor has a zero pivot.
constexpr double kRhoMargin = 1e-8;

enum class Kind { kScalar, kUnstructured, kDiagonal, kDiagonalHom, kCs, kCsHom };

Kind KindOf(int q, CovStructure structure, bool homogeneous) {
  if (q == 1) return Kind::kScalar;
  switch (structure) {
    case CovStructure::kUnstructured:
      return Kind::kUnstructured;
    case CovStructure::kDiagonal:
      return homogeneous ? Kind::kDiagonalHom : Kind::kDiagonal;
    case CovStructure::kCompoundSymmetry:
      return homogeneous ? Kind::kCsHom : Kind::kCs;
  }
  return Kind::kUnstructured;
}

}  // namespace

TermCovariance::TermCovariance(int q, CovStructure structure, bool homogeneous)
    : q_(q), structure_(structure), homogeneous_(homogeneous) {
  switch (KindOf(q, structure, homogeneous)) {
    case Kind::kScalar:
    case Kind::kDiagonalHom:
      lower_ = {0.0};
      start_ = {1.0};
      break;
    case Kind::kUnstructured:
      for (int j = 0; j < q; ++j)
        for (int i = j; i < q; ++i) {
          lower_.push_back(i == j ? 0.0 : -kInf);
          start_.push_back(i == j ? 1.0 : 0.0);
        }
      break;
    case Kind::kDiagonal:
      lower_.assign(q, 0.0);
      start_.assign(q, 1.0);
      break;
    case Kind::kCs:
    case Kind::kCsHom: {
      const int sds = KindOf(q, structure, homogeneous) == Kind::kCs ? q : 1;
      lower_.assign(sds, 0.0);
      start_.assign(sds, 1.0);
      lower_.push_back(-1.0 / (q - 1) + kRhoMargin);
      start_.push_back(0.0);
      break;
    }
  }
  upper_.assign(lower_.size(), kInf);
  if (KindOf(q, structure, homogeneous) == Kind::kCs ||
      KindOf(q, structure, homogeneous) == Kind::kCsHom)
    upper_.back() = 1.0 - kRhoMargin;
}

void TermCovariance::FillLambda(std::span<const double> theta, double* lambda) const {
  const int q = q_;
  std::fill(lambda, lambda + q * q, 0.0);
  switch (KindOf(q, structure_, homogeneous_)) {
    case Kind::kScalar:
      lambda[0] = theta[0];
      return;
    case Kind::kUnstructured: {
      int k = 0;
      for (int j = 0; j < q; ++j)
        for (int i = j; i < q; ++i) lambda[i + j * q] = theta[k++];
      return;
    }
    case Kind::kDiagonal:
      for (int i = 0; i < q; ++i) lambda[i + i * q] = theta[i];
      return;
    case Kind::kDiagonalHom:
      for (int i = 0; i < q; ++i) lambda[i + i * q] = theta[0];
      return;
    case Kind::kCs:
    case Kind::kCsHom: {
      const bool hom = KindOf(q, structure_, homogeneous_) == Kind::kCsHom;
      const double rho = theta[hom ? 1 : q];
      auto sd = [&](int i) { return hom ? theta[0] : theta[i]; };
      // Cholesky of the correlation matrix R (lower triangle), then scale rows by D:
      // chol(D R D) = D chol(R) since D is diagonal and nonnegative.
      for (int j = 0; j < q; ++j) {
        double d = 1.0;
        for (int k = 0; k < j; ++k) d -= lambda[j + k * q] * lambda[j + k * q];
        const double pivot = d > 0 ? std::sqrt(d) : 0.0;
        lambda[j + j * q] = pivot;
        for (int i = j + 1; i < q; ++i) {
          double s = rho;
          for (int k = 0; k < j; ++k) s -= lambda[i + k * q] * lambda[j + k * q];
          lambda[i + j * q] = pivot > 0 ? s / pivot : 0.0;
        }
      }
      for (int i = 0; i < q; ++i)
        for (int j = 0; j <= i; ++j) lambda[i + j * q] *= sd(i);
      return;
    }
  }
}

Eigen::MatrixXd TermCovariance::Lambda(std::span<const double> theta) const {
  Eigen::MatrixXd lambda(q_, q_);
  FillLambda(theta, lambda.data());
  return lambda;
}

Eigen::MatrixXd TermCovariance::RelativeCovariance(std::span<const double> theta) const {
  const Eigen::MatrixXd lambda = Lambda(theta);
  return lambda * lambda.transpose();
}

std::vector<double> TermCovariance::ThetaFromRelativeCovariance(
    const Eigen::MatrixXd& sigma) const {
  const int q = q_;
  std::vector<double> theta;
  const Eigen::VectorXd sd = sigma.diagonal().cwiseMax(0.0).cwiseSqrt();
  switch (KindOf(q, structure_, homogeneous_)) {
    case Kind::kScalar:
      return {sd(0)};
    case Kind::kUnstructured: {
      // Cholesky with zero pivots allowed (a singular fit has Sigma positive semidefinite).
      Eigen::MatrixXd l = Eigen::MatrixXd::Zero(q, q);
      for (int j = 0; j < q; ++j) {
        double d = sigma(j, j);
        for (int k = 0; k < j; ++k) d -= l(j, k) * l(j, k);
        l(j, j) = d > 0 ? std::sqrt(d) : 0.0;
        for (int i = j + 1; i < q; ++i) {
          double s = sigma(i, j);
          for (int k = 0; k < j; ++k) s -= l(i, k) * l(j, k);
          l(i, j) = l(j, j) > 0 ? s / l(j, j) : 0.0;
        }
      }
      for (int j = 0; j < q; ++j)
        for (int i = j; i < q; ++i) theta.push_back(l(i, j));
      return theta;
    }
    case Kind::kDiagonal:
      return std::vector<double>(sd.data(), sd.data() + q);
    case Kind::kDiagonalHom:
      return {std::sqrt(std::max(0.0, sigma.diagonal().mean()))};
    case Kind::kCs:
    case Kind::kCsHom: {
      double rho_sum = 0;
      for (int i = 0; i < q; ++i)
        for (int j = 0; j < i; ++j)
          rho_sum += sd(i) > 0 && sd(j) > 0 ? sigma(i, j) / (sd(i) * sd(j)) : 0.0;
      const double rho = rho_sum / (q * (q - 1) / 2);
      if (KindOf(q, structure_, homogeneous_) == Kind::kCsHom)
        theta = {std::sqrt(std::max(0.0, sigma.diagonal().mean()))};
      else
        theta.assign(sd.data(), sd.data() + q);
      theta.push_back(std::clamp(rho, lower_.back(), upper_.back()));
      return theta;
    }
  }
  return theta;
}

std::vector<std::string> TermCovariance::Names(const std::string& group,
                                               const std::vector<std::string>& columns) const {
  std::vector<std::string> names;
  switch (KindOf(q_, structure_, homogeneous_)) {
    case Kind::kScalar:
      return {group + "." + columns.at(0)};
    case Kind::kUnstructured:
      for (int j = 0; j < q_; ++j)
        for (int i = j; i < q_; ++i)
          names.push_back(i == j ? group + "." + columns.at(i)
                                 : group + "." + columns.at(i) + "." + columns.at(j));
      return names;
    case Kind::kDiagonal:
      for (int i = 0; i < q_; ++i) names.push_back(group + "." + columns.at(i));
      return names;
    case Kind::kDiagonalHom:
      return {group + ".sd"};
    case Kind::kCs:
      for (int i = 0; i < q_; ++i) names.push_back(group + ".sd." + columns.at(i));
      names.push_back(group + ".rho");
      return names;
    case Kind::kCsHom:
      return {group + ".sd", group + ".rho"};
  }
  return names;
}

bool TermCovariance::AtSingularBoundary(std::span<const double> theta, double tol) const {
  for (int i = 0; i < size(); ++i) {
    if (std::isfinite(lower_[i]) && theta[i] - lower_[i] < tol) return true;
    if (std::isfinite(upper_[i]) && upper_[i] - theta[i] < tol) return true;
  }
  return false;
}

}  // namespace lmm
