#include "inference/ddf/type3_contrasts.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "inference/ddf/term_coding.h"

namespace lmm::inference::ddf {
namespace {

// Adds weight * (the product of the numeric variables in `vars` and the indicators
// I(F = level[F]) of its factors) to `out`, in the basis of X's columns. A factor coded by
// contrasts at its first level is rewritten as I(F = 1st) = 1 - sum_{a >= 2} I(F = a).
// False when a needed term is not in X.
bool Expand(const TermCoding& c, const LabelSet& vars, const std::map<std::string, int>& level,
            double weight, Eigen::VectorXd& out) {
  if (vars.empty()) {
    out(c.intercept) += weight;
    return true;
  }
  const auto term = std::find_if(c.terms.begin(), c.terms.end(),
                                 [&](const TermLayout& t) { return t.vars == vars; });
  if (term == c.terms.end()) return false;
  for (size_t k = 0; k < term->order.size(); ++k) {
    const std::string& v = term->order[k];
    if (!term->contrasts[k] || level.at(v) != 0) continue;
    LabelSet sub = vars;
    sub.erase(v);
    std::map<std::string, int> sub_level = level;
    sub_level.erase(v);
    if (!Expand(c, sub, sub_level, weight, out)) return false;
    std::map<std::string, int> other = level;
    for (int a = 1; a < c.levels.at(v); ++a) {
      other[v] = a;
      if (!Expand(c, vars, other, -weight, out)) return false;
    }
    return true;
  }
  int position = 0, radix = 1;
  for (size_t k = 0; k < term->order.size(); ++k) {
    const std::string& v = term->order[k];
    if (!c.factor.at(v)) continue;
    position += (level.at(v) - (term->contrasts[k] ? 1 : 0)) * radix;
    radix *= Width(c, *term, k);
  }
  const int column = term->position_column[static_cast<size_t>(position)];
  if (column >= 0) out(column) += weight;  // an empty cell's column is zero
  return true;
}

// Level of each factor of term t for the index-th combination (the first variable fastest), in
// full indicator coding (offset 0) or in the term's own coding (contrast-coded factors from 1).
std::map<std::string, int> Levels(const TermCoding& c, const TermLayout& t, int index, bool coded) {
  std::map<std::string, int> level;
  for (size_t k = 0; k < t.order.size(); ++k) {
    const std::string& v = t.order[k];
    if (!c.factor.at(v)) continue;
    const int width = coded ? Width(c, t, k) : c.levels.at(v);
    level[v] = index % width + (coded && t.contrasts[k] ? 1 : 0);
    index /= width;
  }
  return level;
}

int FullIndex(const TermCoding& c, const TermLayout& t, const std::map<std::string, int>& level) {
  int index = 0, radix = 1;
  for (const std::string& v : t.order) {
    if (!c.factor.at(v)) continue;
    index += level.at(v) * radix;
    radix *= c.levels.at(v);
  }
  return index;
}

// R's zapsmall(x, digits = 7): round to 7 - ceiling(log10(max |x|)) decimal places.
void ZapSmall(Eigen::MatrixXd& x) {
  const double mx = x.size() > 0 ? x.cwiseAbs().maxCoeff() : 0.0;
  const double digits = mx > 0 ? std::max(0.0, 7 - std::ceil(std::log10(mx))) : 7;
  const double scale = std::pow(10.0, digits);
  x = (x.array() * scale).round() / scale;
}

// lmerTest's L = zapsmall(t(ginv(X) rdX)) computed on the data, for codings where rdX is not in
// the span of X. rdX is rebuilt from X: each factor's level per row from its main-effect columns
// (treatment contrasts: the first level where they are all 0), each number from its own column; a
// variable without a main effect in X gives nullopt.
std::optional<Eigen::MatrixXd> LeastSquaresL(const ModelFrame& frame, const TermCoding& c,
                                             const std::vector<int>& first_row, Eigen::Index q) {
  const Eigen::Index n = frame.x.rows();
  std::map<std::string, std::vector<int>> codes;
  std::map<std::string, Eigen::VectorXd> numbers;
  for (const auto& [v, is_factor] : c.factor) {
    const auto main = std::find_if(c.terms.begin(), c.terms.end(), [&](const TermLayout& m) {
      return m.order.size() == 1 && m.order[0] == v && m.empty_cells.empty() &&
             (!is_factor || m.contrasts[0]);
    });
    if (main == c.terms.end() || main->columns.empty()) return std::nullopt;
    if (!is_factor) {
      numbers[v] = frame.x.col(main->columns[0]);
      continue;
    }
    std::vector<int>& code = codes[v];
    code.assign(static_cast<size_t>(n), 0);
    for (size_t a = 0; a < main->columns.size(); ++a)
      for (Eigen::Index i = 0; i < n; ++i)
        if (frame.x(i, main->columns[a]) == 1.0)
          code[static_cast<size_t>(i)] = static_cast<int>(a) + 1;
  }
  Eigen::MatrixXd rdx = Eigen::MatrixXd::Zero(n, q);
  rdx.col(0).setOnes();
  for (size_t t = 0; t < c.terms.size(); ++t) {
    const TermLayout& term = c.terms[t];
    for (Eigen::Index i = 0; i < n; ++i) {
      double value = 1;
      int index = 0, radix = 1;
      for (const std::string& v : term.order) {
        if (!c.factor.at(v)) {
          value *= numbers.at(v)(i);
          continue;
        }
        index += codes.at(v)[static_cast<size_t>(i)] * radix;
        radix *= c.levels.at(v);
      }
      rdx(i, first_row[t] + index) = value;
    }
  }
  Eigen::MatrixXd l = frame.x.colPivHouseholderQr().solve(rdx).transpose();
  ZapSmall(l);
  return l;
}

// lmerTest's doolittle(X'X)$L: the unit lower-triangular factor of X'X = L U (no pivoting), with
// entries below 1e-6 in absolute value set to zero, as lmerTest does.
Eigen::MatrixXd Doolittle(const Eigen::MatrixXd& a) {
  constexpr double kEps = 1e-6;
  const Eigen::Index n = a.rows();
  Eigen::MatrixXd l = Eigen::MatrixXd::Identity(n, n);
  Eigen::MatrixXd u = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) u(i, j) = a(i, j) - l.row(i).head(i).dot(u.col(j).head(i));
    for (Eigen::Index j = i + 1; j < n; ++j) {
      const double v = a(j, i) - l.row(j).head(i).dot(u.col(i).head(i));
      l(j, i) = std::abs(u(i, i)) < kEps ? 0.0 : v / u(i, i);
    }
  }
  return (l.array().abs() < kEps).select(0.0, l);
}

// With one term lmerTest's anova(type = 3) uses its Type I hypothesis: the term's rows of
// t(doolittle(X'X)$L). Same row space as the term's own coefficients, but Fai-Cornelius' dendf
// depends on the basis.
TermHypothesis SingleTerm(const ModelFrame& frame, const TermLayout& term) {
  const Eigen::MatrixXd lt = Doolittle(frame.x.transpose() * frame.x).transpose();
  TermHypothesis h;
  h.term = term.label;
  h.l.resize(static_cast<Eigen::Index>(term.columns.size()), frame.p());
  for (size_t i = 0; i < term.columns.size(); ++i)
    h.l.row(static_cast<Eigen::Index>(i)) = lt.row(term.columns[i]);
  return h;
}

}  // namespace

std::optional<std::vector<TermHypothesis>> Type3Hypotheses(const ModelFrame& frame) {
  const std::optional<TermCoding> coding = ReadTermCoding(frame);
  if (!coding) return std::nullopt;
  const TermCoding& c = *coding;
  const auto n_terms = c.terms.size();
  if (n_terms == 1) return std::vector<TermHypothesis>{SingleTerm(frame, c.terms[0])};

  // lmerTest's containment: the columns of the terms that contain each term.
  auto numerics = [&](const TermLayout& t) {
    LabelSet out;
    for (const std::string& v : t.margin_present)
      if (!c.factor.at(v)) out.insert(v);
    return out;
  };
  std::vector<std::vector<int>> containing(n_terms);
  bool any_contained = false;
  for (size_t t = 0; t < n_terms; ++t) {
    const LabelSet& mine = c.terms[t].margin_present;
    for (const TermLayout& other : c.terms) {
      const LabelSet& theirs = other.margin_present;
      if (theirs.size() > mine.size() &&
          std::includes(theirs.begin(), theirs.end(), mine.begin(), mine.end()) &&
          numerics(other) == numerics(c.terms[t]))
        containing[t].insert(containing[t].end(), other.columns.begin(), other.columns.end());
    }
    any_contained = any_contained || !containing[t].empty();
  }
  if (!any_contained) {  // every term is the test of its own coefficients
    std::vector<TermHypothesis> out;
    for (const TermLayout& term : c.terms) {
      TermHypothesis h{term.label,
                       Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(term.columns.size()), c.p)};
      for (size_t i = 0; i < term.columns.size(); ++i)
        h.l(static_cast<Eigen::Index>(i), term.columns[i]) = 1;
      out.push_back(std::move(h));
    }
    return out;
  }

  // L = B': one row per column of rdX (intercept, then each term's full level combinations).
  std::vector<Eigen::VectorXd> rows;
  rows.push_back(Eigen::VectorXd::Unit(c.p, c.intercept));
  std::vector<int> first_row(n_terms);
  for (size_t t = 0; t < n_terms; ++t) {
    const TermLayout& term = c.terms[t];
    first_row[t] = static_cast<int>(rows.size());
    int combinations = 1;
    for (const std::string& v : term.order)
      if (c.factor.at(v)) combinations *= c.levels.at(v);
    for (int i = 0; i < combinations; ++i) {
      Eigen::VectorXd row = Eigen::VectorXd::Zero(c.p);
      if (!Expand(c, term.vars, Levels(c, term, i, false), 1.0, row)) return std::nullopt;
      rows.push_back(std::move(row));
    }
  }
  Eigen::MatrixXd l(static_cast<Eigen::Index>(rows.size()), c.p);
  for (size_t k = 0; k < rows.size(); ++k) l.row(static_cast<Eigen::Index>(k)) = rows[k];
  if (!c.cells_empty) {
    std::optional<Eigen::MatrixXd> from_data = LeastSquaresL(frame, c, first_row, l.rows());
    if (!from_data) return std::nullopt;
    l = std::move(*from_data);
  }

  // The row of rdX that has the name of each column of X.
  std::vector<Eigen::Index> same_name(static_cast<size_t>(c.p), 0);
  for (size_t t = 0; t < n_terms; ++t) {
    const TermLayout& term = c.terms[t];
    for (size_t i = 0; i < term.position_column.size(); ++i)
      if (term.position_column[i] >= 0)
        same_name[static_cast<size_t>(term.position_column[i])] =
            first_row[t] + FullIndex(c, term, Levels(c, term, static_cast<int>(i), true));
  }

  // Orthogonalisation, highest-order terms first.
  std::vector<size_t> by_order(n_terms);
  std::iota(by_order.begin(), by_order.end(), 0);
  std::stable_sort(by_order.begin(), by_order.end(), [&](size_t a, size_t b) {
    return c.terms[a].vars.size() > c.terms[b].vars.size();
  });
  for (size_t t : by_order) {
    const TermLayout& term = c.terms[t];
    if (containing[t].empty()) continue;
    Eigen::MatrixXd x(l.rows(), static_cast<Eigen::Index>(containing[t].size()));
    for (size_t k = 0; k < containing[t].size(); ++k)
      x.col(static_cast<Eigen::Index>(k)) = l.col(containing[t][k]);
    Eigen::MatrixXd y(l.rows(), static_cast<Eigen::Index>(term.columns.size()));
    for (size_t k = 0; k < term.columns.size(); ++k)
      y.col(static_cast<Eigen::Index>(k)) = l.col(term.columns[k]);
    Eigen::MatrixXd residual = y - x * x.completeOrthogonalDecomposition().solve(y);
    ZapSmall(residual);
    for (size_t k = 0; k < term.columns.size(); ++k)
      l.col(term.columns[k]) = residual.col(static_cast<Eigen::Index>(k));
  }

  std::vector<TermHypothesis> out;
  for (const TermLayout& term : c.terms) {
    std::vector<Eigen::VectorXd> kept;
    for (int column : term.columns) {
      Eigen::VectorXd row(c.p);
      for (int j = 0; j < c.p; ++j) row(j) = l(same_name[static_cast<size_t>(j)], column);
      if (row.cwiseAbs().sum() > 1e-8) kept.push_back(row);
    }
    TermHypothesis h;
    h.term = term.label;
    h.l.resize(static_cast<Eigen::Index>(kept.size()), c.p);
    for (size_t i = 0; i < kept.size(); ++i) h.l.row(static_cast<Eigen::Index>(i)) = kept[i];
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace lmm::inference::ddf
