// Parsing of fit options given as text (the CLI's --ddf and batch manifests' "ddf").
#include <string>

#include "lmm/error.h"
#include "lmm/fit.h"

namespace lmm {

void ParseDdfOption(const std::string& text, FitOptions& options) {
  const size_t comma = text.find(',');
  const std::string name = text.substr(0, comma);
  const std::string info = comma == std::string::npos ? "" : text.substr(comma + 1);
  if (name == "none")
    options.ddf = DdfMethod::kNone;
  else if (name == "residual")
    options.ddf = DdfMethod::kResidual;
  else if (name == "between-within" || name == "repeated")
    options.ddf = DdfMethod::kBetweenWithin;
  else if (name == "containment" || name == "anova")
    options.ddf = DdfMethod::kContainment;
  else if (name == "satterthwaite")
    options.ddf = DdfMethod::kSatterthwaite;
  else if (name == "kenward-roger" || name == "kroger")
    options.ddf = DdfMethod::kKenwardRoger;
  else
    throw UsageError("ddf '" + text +
                     "': expected none, residual, between-within, containment, "
                     "satterthwaite or kenward-roger (optionally followed by ,eim or ,oim)");
  const bool approximate =
      options.ddf == DdfMethod::kSatterthwaite || options.ddf == DdfMethod::kKenwardRoger;
  if (info == "eim" && approximate)
    options.information = InformationChoice::kExpected;
  else if (info == "oim" && approximate)
    options.information = InformationChoice::kObserved;
  else if (!info.empty())
    throw UsageError("ddf '" + text + "': ,eim and ,oim apply to satterthwaite and kenward-roger");
}

}  // namespace lmm
