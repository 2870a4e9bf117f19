#include "inference/ddf/linear_hypothesis.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "lmm/error.h"

namespace lmm::inference::ddf {
namespace {

class Parser {
 public:
  Parser(const std::string& text, const std::vector<std::string>& names)
      : text_(text), names_(names) {}

  LinearHypothesis Parse() {
    const auto p = static_cast<Eigen::Index>(names_.size());
    std::vector<Eigen::VectorXd> rows;
    std::vector<double> rhs;
    while (true) {
      Eigen::VectorXd row = Eigen::VectorXd::Zero(p);
      double constant = 0;  // moved to the right-hand side
      Side(1.0, row, constant);
      Expect('=');
      Side(-1.0, row, constant);
      if (row.cwiseAbs().maxCoeff() == 0) Fail("an equation without coefficients");
      rows.push_back(row);
      rhs.push_back(-constant);
      SkipSpace();
      if (pos_ == text_.size()) break;
      Expect(',');
    }
    LinearHypothesis h;
    h.text = text_;
    h.l.resize(static_cast<Eigen::Index>(rows.size()), p);
    h.rhs.resize(static_cast<Eigen::Index>(rows.size()));
    for (size_t i = 0; i < rows.size(); ++i) {
      h.l.row(static_cast<Eigen::Index>(i)) = rows[i].transpose();
      h.rhs(static_cast<Eigen::Index>(i)) = rhs[i];
    }
    if (Eigen::FullPivLU<Eigen::MatrixXd>(h.l).rank() < h.l.rows())
      throw UsageError(fmt::format("--test \"{}\": the equations are linearly dependent", text_));
    return h;
  }

 private:
  // sum of [+-] [number [*]] name | [+-] number, added with `sign` to row (names) or constant.
  void Side(double sign, Eigen::VectorXd& row, double& constant) {
    bool first = true;
    while (true) {
      SkipSpace();
      double s = sign;
      if (Peek('+') || Peek('-')) {
        if (Peek('-')) s = -s;
        ++pos_;
        SkipSpace();
      } else if (!first) {
        return;
      }
      first = false;
      const int name = MatchName();
      if (name >= 0) {
        row(name) += s;
        continue;
      }
      double number = 0;
      if (!Number(&number)) Fail("a coefficient name or a number");
      SkipSpace();
      if (Peek('*')) {
        ++pos_;
        SkipSpace();
      }
      const int after = MatchName();
      if (after >= 0)
        row(after) += s * number;
      else
        constant += s * number;
    }
  }

  int MatchName() {
    int best = -1;
    size_t best_len = 0;
    for (size_t i = 0; i < names_.size(); ++i) {
      const std::string& n = names_[i];
      if (n.size() > best_len && text_.compare(pos_, n.size(), n) == 0) {
        // A name must not run into further name characters ("a" inside "ab").
        const size_t end = pos_ + n.size();
        if (end < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[end])) ||
                                   text_[end] == '_' || text_[end] == '.'))
          continue;
        best = static_cast<int>(i);
        best_len = n.size();
      }
    }
    pos_ += best_len;
    return best;
  }

  bool Number(double* value) {
    const char* start = text_.c_str() + pos_;
    char* end = nullptr;
    if (!(std::isdigit(static_cast<unsigned char>(*start)) || *start == '.')) return false;
    *value = std::strtod(start, &end);
    if (end == start) return false;
    if (!std::isfinite(*value)) Fail("a number within the double range");  // "1e400"
    pos_ += static_cast<size_t>(end - start);
    return true;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  void Expect(char c) {
    SkipSpace();
    if (!Peek(c)) Fail(fmt::format("'{}'", c));
    ++pos_;
  }
  [[noreturn]] void Fail(const std::string& what) const {
    std::string known;
    for (const std::string& n : names_) known += (known.empty() ? "" : ", ") + n;
    throw UsageError(
        fmt::format("--test \"{}\": expected {} at position {} (\"{}\"); coefficients: {}", text_,
                    what, pos_ + 1, text_.substr(pos_, 20), known));
  }

  const std::string& text_;
  const std::vector<std::string>& names_;
  size_t pos_ = 0;
};

}  // namespace

LinearHypothesis ParseHypothesis(const std::string& text, const std::vector<std::string>& names) {
  return Parser(text, names).Parse();
}

}  // namespace lmm::inference::ddf
