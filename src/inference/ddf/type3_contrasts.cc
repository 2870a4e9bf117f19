#include "inference/ddf/type3_contrasts.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "lmm/error.h"
#include "lmm/formula.h"

namespace lmm::inference::ddf {
namespace {

using LabelSet = std::set<std::string>;

struct TermLayout {
  std::string label;
  LabelSet vars;
  std::vector<std::string> order;  // variable labels as written (the first varies fastest)
  std::vector<bool> contrasts;     // per variable: a factor coded by treatment contrasts
  // Variables whose margin (the term without them) is present: R's terms "factors" code 1, the
  // variables lmerTest's containment sees (code 2, indicator coding, is left out).
  LabelSet margin_present;
  std::vector<int> columns;  // its columns of X
  // Per position of the term's coded columns (the first variable fastest): its column of X, or -1
  // for a column aliased because its cell is empty (identically zero in the data).
  std::vector<int> position_column;
  std::vector<std::vector<std::string>> empty_cells;  // per aliased column: level text per variable
};

// The coding of X: per term its variables and columns, per variable whether it is a factor and
// how many levels it has.
struct Coding {
  std::vector<TermLayout> terms;
  std::map<std::string, bool> factor;
  std::map<std::string, int> levels;
  int intercept = -1;  // column of "(Intercept)"
  int p = 0;
};

std::vector<std::string> Split(const std::string& name) {
  std::vector<std::string> out(1);
  for (char c : name) {
    if (c == ':')
      out.emplace_back();
    else
      out.back() += c;
  }
  return out;
}

// A plain column is numeric when every column name of a term holding it has it as a whole
// ':'-separated part; a factor's part is its label followed by a (non-empty) level.
bool NamedAsNumber(const std::string& label, const TermLayout& term,
                   const std::vector<std::string>& names) {
  for (int j : term.columns) {
    const std::vector<std::string> parts = Split(names[static_cast<size_t>(j)]);
    if (std::find(parts.begin(), parts.end(), label) == parts.end()) return false;
  }
  return true;
}

// Number of X columns a variable contributes to a term.
int Width(const Coding& c, const TermLayout& t, size_t k) {
  if (!c.factor.at(t.order[k])) return 1;
  return c.levels.at(t.order[k]) - (t.contrasts[k] ? 1 : 0);
}

// Aliased columns that are cells of an interaction of factors all coded by contrasts, attributed
// to their term by name (one ':'-part per variable: its label, then a level). False for any other
// aliased column (a main effect, a numeric product, a name that fits no term or several).
bool AttributeEmptyCells(const ModelFrame& frame, Coding& c) {
  for (const std::string& name : frame.aliased) {
    const std::vector<std::string> parts = Split(name);
    TermLayout* owner = nullptr;
    std::vector<std::string> levels;
    for (TermLayout& t : c.terms) {
      if (t.order.size() != parts.size() || t.order.size() < 2) continue;
      std::vector<std::string> texts;
      for (size_t k = 0; k < parts.size(); ++k) {
        const std::string& label = t.order[k];
        if (!c.factor.at(label) || !t.contrasts[k] || parts[k].size() <= label.size() ||
            parts[k].compare(0, label.size(), label) != 0)
          break;
        texts.push_back(parts[k].substr(label.size()));
      }
      if (texts.size() != parts.size()) continue;
      if (owner != nullptr) return false;
      owner = &t;
      levels = texts;
    }
    if (owner == nullptr) return false;
    owner->empty_cells.push_back(levels);
  }
  return true;
}

// Lays out each term's coded columns, with -1 at its aliased cells, after checking that those
// cells are empty: no row has all of the cell's levels, read from the factors' main-effect columns
// (which must be in X). lmerTest's rdX then has a zero column there and ginv(X) rdX is still B.
bool PlaceEmptyCells(const ModelFrame& frame, Coding& c) {
  for (TermLayout& t : c.terms) {
    int width = 1;
    for (size_t k = 0; k < t.order.size(); ++k) width *= Width(c, t, k);
    t.position_column.assign(static_cast<size_t>(width), -2);
    for (const std::vector<std::string>& cell : t.empty_cells) {
      int position = 0, radix = 1;
      std::vector<int> indicators;
      for (size_t k = 0; k < t.order.size(); ++k) {
        const auto main = std::find_if(c.terms.begin(), c.terms.end(), [&](const TermLayout& m) {
          return m.order.size() == 1 && m.order[0] == t.order[k] && m.contrasts[0] &&
                 m.empty_cells.empty();
        });
        if (main == c.terms.end()) return false;
        const auto at = std::find_if(main->columns.begin(), main->columns.end(), [&](int j) {
          return frame.fixed_names[static_cast<size_t>(j)] == t.order[k] + cell[k];
        });
        if (at == main->columns.end()) return false;
        position += static_cast<int>(at - main->columns.begin()) * radix;
        radix *= Width(c, t, k);
        indicators.push_back(*at);
      }
      if (t.position_column[static_cast<size_t>(position)] == -1) return false;
      t.position_column[static_cast<size_t>(position)] = -1;
      for (Eigen::Index i = 0; i < frame.x.rows(); ++i) {
        bool in_cell = true;
        for (int j : indicators) in_cell = in_cell && frame.x(i, j) == 1.0;
        if (in_cell) return false;
      }
    }
    size_t next = 0;
    for (int& column : t.position_column)
      if (column == -2) {
        if (next == t.columns.size()) return false;
        column = t.columns[next++];
      }
    if (next != t.columns.size()) return false;
  }
  return true;
}

std::optional<Coding> ReadCoding(const ModelFrame& frame) {
  const int p = frame.p();
  if (static_cast<int>(frame.fixed_term.size()) != p) return std::nullopt;
  Formula formula;
  try {
    formula = ParseFormula(frame.formula);
  } catch (const Error&) {
    return std::nullopt;
  }
  if (!formula.intercept || formula.fixed.size() != frame.fixed_term_labels.size())
    return std::nullopt;
  Coding c;
  c.p = p;
  for (int j = 0; j < p; ++j)
    if (frame.fixed_term[static_cast<size_t>(j)] < 0) c.intercept = j;
  if (c.intercept < 0) return std::nullopt;
  std::vector<LabelSet> earlier;
  for (size_t t = 0; t < formula.fixed.size(); ++t) {
    const Term& term = formula.fixed[t];
    if (term.Label() != frame.fixed_term_labels[t]) return std::nullopt;
    TermLayout layout;
    layout.label = term.Label();
    for (const Variable& v : term.variables) {
      layout.vars.insert(v.label);
      layout.order.push_back(v.label);
    }
    for (int j = 0; j < p; ++j)
      if (frame.fixed_term[static_cast<size_t>(j)] == static_cast<int>(t))
        layout.columns.push_back(j);
    if (layout.columns.empty()) return std::nullopt;
    for (const Variable& v : term.variables) {
      bool is_factor = v.kind == Variable::Kind::kFactor;
      if (v.kind == Variable::Kind::kColumn)
        is_factor = !NamedAsNumber(v.label, layout, frame.fixed_names);
      const auto [it, fresh] = c.factor.emplace(v.label, is_factor);
      if (!fresh && it->second != is_factor) return std::nullopt;
      // R's rule (design/term_columns.h): contrasts when the term without the factor is empty or
      // contained in an earlier term.
      LabelSet margin = layout.vars;
      margin.erase(v.label);
      const bool present =
          margin.empty() || std::any_of(earlier.begin(), earlier.end(), [&](const LabelSet& e) {
            return std::includes(e.begin(), e.end(), margin.begin(), margin.end());
          });
      layout.contrasts.push_back(is_factor && present);
      if (present) layout.margin_present.insert(v.label);
    }
    earlier.push_back(layout.vars);
    c.terms.push_back(std::move(layout));
  }
  if (!AttributeEmptyCells(frame, c)) return std::nullopt;
  // Levels per factor from the column counts: a term whose other factors are known gives the
  // remaining one; every term must then agree.
  for (bool progress = true; progress;) {
    progress = false;
    for (const TermLayout& t : c.terms) {
      int unknown = -1, known_width = 1, missing = 0;
      for (size_t k = 0; k < t.order.size(); ++k) {
        if (!c.factor.at(t.order[k])) continue;
        if (c.levels.count(t.order[k])) {
          known_width *= Width(c, t, k);
        } else {
          unknown = static_cast<int>(k);
          ++missing;
        }
      }
      if (missing != 1 || known_width <= 0) continue;
      const int count = static_cast<int>(t.columns.size() + t.empty_cells.size());
      if (count % known_width != 0) return std::nullopt;
      const auto k = static_cast<size_t>(unknown);
      c.levels[t.order[k]] = count / known_width + (t.contrasts[k] ? 1 : 0);
      progress = true;
    }
  }
  for (const TermLayout& t : c.terms)
    for (const std::string& v : t.order)
      if (c.factor.at(v) && !c.levels.count(v)) return std::nullopt;
  if (!PlaceEmptyCells(frame, c)) return std::nullopt;
  return c;
}

// Adds weight * (the product of the numeric variables in `vars` and the indicators
// I(F = level[F]) of its factors) to `out`, in the basis of X's columns. A factor coded by
// contrasts at its first level is rewritten as I(F = 1st) = 1 - sum_{a >= 2} I(F = a).
// False when a needed term is not in X.
bool Expand(const Coding& c, const LabelSet& vars, const std::map<std::string, int>& level,
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
std::map<std::string, int> Levels(const Coding& c, const TermLayout& t, int index, bool coded) {
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

int FullIndex(const Coding& c, const TermLayout& t, const std::map<std::string, int>& level) {
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
  const std::optional<Coding> coding = ReadCoding(frame);
  if (!coding) return std::nullopt;
  const Coding& c = *coding;
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
