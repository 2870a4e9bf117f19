// Fuzzes lmm::ParseFormula: any byte string either parses or throws lmm::Error(kUsage) with a caret
// diagram; anything else (another exception, a crash, a sanitizer report) is a bug.
// The build reads the next line whole: keep it on one line.
// clang-format off
// fuzz-sources:src/formula/deparse.cc src/formula/formula.cc src/formula/formula_error.cc src/formula/lexer.cc src/formula/parser.cc src/formula/random_terms.cc src/formula/term_algebra.cc src/formula/variables.cc
// clang-format on
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lmm/error.h"
#include "lmm/formula.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckTerms(const std::vector<lmm::Term>& terms) {
  for (const lmm::Term& t : terms) {
    Check(!t.variables.empty());
    Check(!t.Label().empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const lmm::Formula f = lmm::ParseFormula(text);
    Check(f.text == text);
    Check(!f.response.label.empty());
    CheckTerms(f.fixed);
    for (const lmm::RandomTerm& r : f.random) {
      Check(r.intercept || !r.terms.empty());
      Check(!r.grouping.empty() && !r.group_label.empty());
      CheckTerms(r.terms);
    }
    Check(!f.Columns().empty());
  } catch (const lmm::Error& e) {
    Check(e.kind() == lmm::ErrorKind::kUsage);
    Check(std::string_view(e.what()).starts_with("formula error at column "));
  }
  return 0;
}
