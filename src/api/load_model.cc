#include "lmm/load.h"

namespace lmm {

LoadedModel LoadModel(const LoadOptions& options) {
  LoadedModel loaded;
  loaded.data_path = options.data_path;
  loaded.formula = ParseFormula(options.formula);
  CsvOptions csv = options.csv;
  csv.keep = loaded.formula.Columns();
  const DataFrame data = ReadCsv(options.data_path, csv);
  loaded.frame = BuildModelFrame(loaded.formula, data);
  return loaded;
}

}  // namespace lmm
