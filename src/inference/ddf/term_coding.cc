#include "inference/ddf/term_coding.h"

#include <algorithm>

#include "lmm/error.h"
#include "lmm/formula.h"

namespace lmm::inference::ddf {
namespace {

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

// Aliased columns that are cells of an interaction of factors all coded by contrasts, attributed
// to their term by name (one ':'-part per variable: its label, then a level). False for any other
// aliased column (a main effect, a numeric product, a name that fits no term or several).
bool AttributeEmptyCells(const ModelFrame& frame, TermCoding& c) {
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

// Lays out each term's coded columns, with -1 at its aliased cells, and checks whether those cells
// are empty: no row has all of the cell's levels, read from the factors' main-effect columns
// (which must be in X).
bool PlaceEmptyCells(const ModelFrame& frame, TermCoding& c) {
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
      for (Eigen::Index i = 0; i < frame.x.rows() && c.cells_empty; ++i) {
        bool in_cell = true;
        for (int j : indicators) in_cell = in_cell && frame.x(i, j) == 1.0;
        if (in_cell) c.cells_empty = false;
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

}  // namespace

int Width(const TermCoding& c, const TermLayout& t, size_t k) {
  if (!c.factor.at(t.order[k])) return 1;
  return c.levels.at(t.order[k]) - (t.contrasts[k] ? 1 : 0);
}

std::optional<TermCoding> ReadTermCoding(const ModelFrame& frame) {
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
  TermCoding c;
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
    for (const Variable& v : term.variables) {
      bool is_factor = v.kind == Variable::Kind::kFactor;
      if (v.kind == Variable::Kind::kColumn) {
        // A term whose columns are all aliased: the variable's kind from an earlier term.
        if (!layout.columns.empty())
          is_factor = !NamedAsNumber(v.label, layout, frame.fixed_names);
        else if (c.factor.count(v.label))
          is_factor = c.factor.at(v.label);
        else
          return std::nullopt;
      }
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

}  // namespace lmm::inference::ddf
