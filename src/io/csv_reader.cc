// Placeholder until the CSV reader lands.
#include "lmm/data_frame.h"
#include "lmm/error.h"
namespace lmm {
DataFrame ParseCsv(std::string_view, const std::string&, const CsvOptions&) {
  throw Error(ErrorKind::kInternal, "CSV reader not built yet");
}
DataFrame ReadCsv(const std::string& path, const CsvOptions& o) { return ParseCsv({}, path, o); }
}  // namespace lmm
