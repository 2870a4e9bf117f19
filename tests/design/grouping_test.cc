// BuildGroupingFactor (design/grouping.h): levels of g and of interactions g1:g2 in R's order (by
// g1's level, then g2's; only combinations present), whether the combinations are ranked by a
// table (few possible combinations per row) or by sorting (many).
#include "design/grouping.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "lmm/formula.h"

namespace lmm {
namespace {

// R's factor(a:b) on columns a and b (text): levels are the present (a, b) pairs in byte order of
// a, then b.
void ExpectRInteraction(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::string csv = "y,a,b\n";
  for (size_t i = 0; i < a.size(); ++i) csv += std::to_string(i) + "," + a[i] + "," + b[i] + "\n";
  const DataFrame data = ParseCsv(csv, "t.csv", CsvOptions{});
  const Formula formula = ParseFormula("y ~ 1 + (1 | a:b)");
  std::vector<int64_t> rows(a.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
  const design::GroupingFactor g =
      design::BuildGroupingFactor(formula.random[0].grouping, data, rows);

  const std::set<std::pair<std::string, std::string>> pairs = [&] {
    std::set<std::pair<std::string, std::string>> s;
    for (size_t i = 0; i < a.size(); ++i) s.emplace(a[i], b[i]);
    return s;
  }();
  std::vector<std::string> labels;
  for (const auto& [u, v] : pairs) labels.push_back(u + ":" + v);
  EXPECT_EQ(g.labels, labels);
  ASSERT_EQ(g.level.size(), a.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(g.labels[static_cast<size_t>(g.level[i])], a[i] + ":" + b[i]) << i;
}

TEST(GroupingFactor, InteractionWithFewCombinationsPerRow) {
  // 3 x 4 combinations for 20 rows: ranked by a table.
  std::vector<std::string> a, b;
  for (int i = 0; i < 20; ++i) {
    a.push_back(std::string(1, static_cast<char>('c' - i % 3)));
    b.push_back("v" + std::to_string((i * 7) % 4));
  }
  ExpectRInteraction(a, b);
}

TEST(GroupingFactor, InteractionWithManyCombinationsPerRow) {
  // 30 x 30 combinations for 40 rows: ranked by sorting.
  std::vector<std::string> a, b;
  for (int i = 0; i < 40; ++i) {
    a.push_back("a" + std::to_string((i * 13) % 30));
    b.push_back("b" + std::to_string((i * 17 + 5) % 30));
  }
  ExpectRInteraction(a, b);
}

TEST(GroupingFactor, SingleFactorKeepsByteOrderAndDropsUnusedLevels) {
  const DataFrame data = ParseCsv("y,g\n1,b\n2,a\n3,c\n4,a\n5,b10\n6,b2\n", "t.csv", CsvOptions{});
  const Formula formula = ParseFormula("y ~ 1 + (1 | g)");
  const design::GroupingFactor g =
      design::BuildGroupingFactor(formula.random[0].grouping, data, {0, 1, 3, 4, 5});
  EXPECT_EQ(g.labels, (std::vector<std::string>{"a", "b", "b10", "b2"}));  // no "c": unused
  EXPECT_EQ(g.level, (std::vector<int32_t>{1, 0, 0, 2, 3}));
}

}  // namespace
}  // namespace lmm
