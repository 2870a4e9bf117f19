#include "io/describe_report.h"

#include <fmt/format.h>

#include "design/block_structure.h"

namespace lmm::io {
namespace {

const char* StructureName(CovStructure s, bool homogeneous) {
  switch (s) {
    case CovStructure::kUnstructured: return "unstructured";
    case CovStructure::kDiagonal: return homogeneous ? "identity" : "diagonal";
    case CovStructure::kCompoundSymmetry: return homogeneous ? "exchangeable" : "heterogeneous cs";
  }
  return "?";
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

int64_t RowsDropped(const ModelFrame& f) {
  int64_t n = 0;
  for (const auto& [reason, count] : f.rows_dropped) n += count;
  return n;
}

}  // namespace

std::string DescribeText(const LoadedModel& model) {
  const ModelFrame& f = model.frame;
  std::string out;
  out += fmt::format("Data:      {}\n", model.data_path);
  out += fmt::format("Formula:   {}\n", f.formula);
  out += fmt::format("Rows:      {} read, {} used, {} dropped\n", f.rows_read, f.rows_used,
                     RowsDropped(f));
  for (const auto& [reason, count] : f.rows_dropped)
    out += fmt::format("           {} dropped: {}\n", count, reason);
  out += fmt::format("Response:  {}\n", f.response);
  out += fmt::format("Fixed effects ({} columns): {}\n", f.p(), Join(f.fixed_names));
  if (!f.aliased.empty())
    out += fmt::format("Dropped as linearly dependent (aliased): {}\n", Join(f.aliased));
  out += "Random effects:\n";
  for (const RandomEffectTerm& re : f.random)
    out += fmt::format("  {:<14} {:>8} levels  {} ({})\n", re.group, re.levels, Join(re.names),
                       StructureName(re.structure, re.homogeneous));
  out += fmt::format("\n  {:<20} {:>8} {:>10} {:>10} {:>10}\n", "Group", "Levels", "Obs min",
                     "Obs avg", "Obs max");
  for (const GroupSummary& g : f.groups)
    out += fmt::format("  {:<20} {:>8} {:>10} {:>10.1f} {:>10}\n", g.name, g.levels, g.min, g.mean,
                       g.max);
  const design::BlockPlan plan = design::PlanBlocks(f);
  out += "\nBlocked Cholesky layout (terms by number of levels, largest first):\n";
  for (size_t i = 0; i < plan.term_order.size(); ++i) {
    const RandomEffectTerm& re = f.random[static_cast<size_t>(plan.term_order[i])];
    out += fmt::format("  block {}: {} ({} x {} = {} columns): {}", i + 1, re.group, re.levels,
                       re.q(), re.levels * re.q(), design::BlockKindName(plan.kinds[i][i]));
    for (size_t j = 0; j < i; ++j)
      out += fmt::format("; with block {}: {}", j + 1, design::BlockKindName(plan.kinds[i][j]));
    out += "\n";
  }
  out += fmt::format("  [X y]: dense, {} columns\n", f.p() + 1);
  return out;
}

nlohmann::json DescribeJson(const LoadedModel& model) {
  const ModelFrame& f = model.frame;
  nlohmann::json j;
  j["data"] = model.data_path;
  j["formula"] = f.formula;
  j["response"] = f.response;
  j["rows_read"] = f.rows_read;
  j["nobs"] = f.rows_used;
  j["rows_dropped"] = nlohmann::json::object();
  for (const auto& [reason, count] : f.rows_dropped) j["rows_dropped"][reason] = count;
  j["fixed_effects"] = f.fixed_names;
  j["aliased"] = f.aliased;
  j["random_effects"] = nlohmann::json::array();
  for (const RandomEffectTerm& re : f.random)
    j["random_effects"].push_back({{"group", re.group},
                                   {"grouping_factor", re.grouping_factor},
                                   {"levels", re.levels},
                                   {"columns", re.names},
                                   {"structure", StructureName(re.structure, re.homogeneous)}});
  j["groups"] = nlohmann::json::array();
  for (const GroupSummary& g : f.groups)
    j["groups"].push_back(
        {{"name", g.name}, {"levels", g.levels}, {"min", g.min}, {"mean", g.mean}, {"max", g.max}});
  const design::BlockPlan plan = design::PlanBlocks(f);
  j["blocks"] = nlohmann::json::array();
  for (size_t i = 0; i < plan.term_order.size(); ++i) {
    nlohmann::json b;
    b["group"] = f.random[static_cast<size_t>(plan.term_order[i])].group;
    std::vector<std::string> kinds;
    for (design::BlockKind k : plan.kinds[i]) kinds.push_back(design::BlockKindName(k));
    b["kinds"] = kinds;
    j["blocks"].push_back(b);
  }
  return j;
}

}  // namespace lmm::io
