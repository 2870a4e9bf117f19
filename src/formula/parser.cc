// Placeholder until the formula parser lands.
#include "lmm/error.h"
#include "lmm/formula.h"
namespace lmm {
Formula ParseFormula(std::string_view) { throw Error(ErrorKind::kInternal, "parser not built yet"); }
std::string Term::Label() const { return {}; }
std::vector<std::string> Formula::Columns() const { return {}; }
}  // namespace lmm
