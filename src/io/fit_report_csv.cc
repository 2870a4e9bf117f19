#include <fmt/format.h>

#include "io/fit_report.h"

namespace lmm::io {
namespace {

// RFC 4180 quoting when a field needs it.
std::string Field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::string RanefCsv(const FitResult& fit) {
  std::string out = "group,level,term,estimate,cond_var\n";
  for (const RandomEffectModes& m : fit.modes) {
    const auto q = static_cast<Eigen::Index>(m.names.size());
    for (Eigen::Index l = 0; l < m.modes.rows(); ++l)
      for (Eigen::Index j = 0; j < q; ++j)
        out += fmt::format("{},{},{},{:.17g},{:.17g}\n", Field(m.group),
                           Field(m.level_labels[static_cast<size_t>(l)]),
                           Field(m.names[static_cast<size_t>(j)]), m.modes(l, j),
                           m.conditional_variances(l, j + j * q));
  }
  return out;
}

std::string PredictCsv(const FitResult& fit, const ModelFrame& frame) {
  std::string out = "row,observed,fitted,residual\n";
  for (Eigen::Index i = 0; i < frame.y.size(); ++i)
    out += fmt::format("{},{:.17g},{:.17g},{:.17g}\n", frame.used_rows[static_cast<size_t>(i)] + 1,
                       frame.y(i) + frame.response_offset, fit.fitted(i),
                       frame.y(i) + frame.response_offset - fit.fitted(i));
  return out;
}

}  // namespace lmm::io
