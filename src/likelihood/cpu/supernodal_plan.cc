#include "likelihood/cpu/supernodal_plan.h"

#include <Eigen/OrderingMethods>
#include <Eigen/SparseCore>
#include <algorithm>

namespace lmm::cpu {
namespace {

// The pattern in the order `perm` (perm[k] = original index): per pivot column, the rows below
// (lower) and the columns left of the diagonal in its row (upper), both sorted.
struct Permuted {
  std::vector<std::vector<int32_t>> lower, upper;
};

Permuted PermutePattern(const LowerPattern& pattern, const std::vector<int32_t>& perm) {
  const int64_t n = static_cast<int64_t>(pattern.size());
  std::vector<int32_t> inv(n);
  for (int64_t k = 0; k < n; ++k) inv[perm[k]] = static_cast<int32_t>(k);
  Permuted p;
  p.lower.resize(n);
  p.upper.resize(n);
  for (int64_t j = 0; j < n; ++j)
    for (const int32_t i : pattern[j]) {
      const int32_t a = inv[i], b = inv[j];
      p.lower[std::min(a, b)].push_back(std::max(a, b));
      p.upper[std::max(a, b)].push_back(std::min(a, b));
    }
  for (int64_t j = 0; j < n; ++j) {
    std::sort(p.lower[j].begin(), p.lower[j].end());
    std::sort(p.upper[j].begin(), p.upper[j].end());
  }
  return p;
}

// Elimination tree [Davis 2006, sec. 4.1, cs_etree]: parent[j] = min{i > j : L(i, j) != 0}.
std::vector<int32_t> EliminationTree(const Permuted& p) {
  const int64_t n = static_cast<int64_t>(p.upper.size());
  std::vector<int32_t> parent(n, -1), ancestor(n, -1);
  for (int32_t k = 0; k < n; ++k)
    for (int32_t i : p.upper[k]) {
      while (i != -1 && i < k) {
        const int32_t next = ancestor[i];
        ancestor[i] = k;
        if (next == -1) parent[i] = k;
        i = next;
      }
    }
  return parent;
}

// Postorder of the forest (children in increasing order, roots in increasing order).
std::vector<int32_t> Postorder(const std::vector<int32_t>& parent) {
  const int64_t n = static_cast<int64_t>(parent.size());
  std::vector<std::vector<int32_t>> children(n);
  for (int32_t j = 0; j < n; ++j)
    if (parent[j] >= 0) children[parent[j]].push_back(j);
  std::vector<int32_t> post;
  post.reserve(n);
  std::vector<std::pair<int32_t, size_t>> stack;
  for (int32_t r = 0; r < n; ++r) {
    if (parent[r] >= 0) continue;
    stack.push_back({r, 0});
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < children[node].size()) {
        const int32_t c = children[node][next++];
        stack.push_back({c, 0});
      } else {
        post.push_back(node);
        stack.pop_back();
      }
    }
  }
  return post;
}

struct Node {
  int64_t first = 0, last = 0;  // pivots [first, last)
  std::vector<int32_t> below;   // rows >= last
  int64_t nonzeros = 0;         // true entries of L in its columns (diagonal included)

  int64_t cols() const { return last - first; }
  int64_t stored() const {
    const int64_t nf = cols() + static_cast<int64_t>(below.size());
    return cols() * nf - cols() * (cols() - 1) / 2;
  }
};

// CHOLMOD's default relaxed amalgamation (nrelax = 4, 16, 48; zrelax = 0.8, 0.1, 0.05).
bool Relax(int64_t cols, double zero_fraction) {
  return cols <= 4 || (cols <= 16 && zero_fraction < 0.8) || (cols <= 48 && zero_fraction < 0.1) ||
         zero_fraction < 0.05;
}

}  // namespace

bool PlanSupernodal(const LowerPattern& pattern, int64_t tail, int64_t max_entries,
                    SupernodalPlan& plan) {
  const int64_t n = static_cast<int64_t>(pattern.size());
  const int64_t head = n - tail;
  // 1. AMD on the head (Eigen's port of Amestoy, Davis & Duff), the tail appended in order.
  std::vector<int32_t> perm(n);
  {
    std::vector<Eigen::Triplet<double>> entries;
    for (int64_t j = 0; j < head; ++j) {
      entries.emplace_back(j, j, 1.0);
      for (const int32_t i : pattern[j])
        if (i < head) entries.emplace_back(i, j, 1.0);
    }
    Eigen::SparseMatrix<double> h(head, head);
    h.setFromTriplets(entries.begin(), entries.end());
    Eigen::PermutationMatrix<Eigen::Dynamic, Eigen::Dynamic, int> amd;
    if (head > 0) Eigen::AMDOrdering<int>()(h, amd);
    for (int64_t k = 0; k < head; ++k) perm[k] = amd.indices()[k];
    for (int64_t k = head; k < n; ++k) perm[k] = static_cast<int32_t>(k);
  }
  // 2. Postorder of the elimination tree (same fill, children contiguous before parents).
  {
    const std::vector<int32_t> post = Postorder(EliminationTree(PermutePattern(pattern, perm)));
    std::vector<int32_t> composed(n);
    for (int64_t k = 0; k < n; ++k) composed[k] = perm[post[k]];
    perm.swap(composed);
    for (int64_t k = head; k < n; ++k)
      if (perm[k] != k) return false;  // the tail must stay last (it does when it is dense)
  }
  const Permuted p = PermutePattern(pattern, perm);
  const std::vector<int32_t> parent = EliminationTree(p);
  // 3. Column structures below the diagonal [Davis 2006, sec. 4.2]: struct(j) = lower(j) united
  // with struct(c) \ {j} over the children c of j.
  std::vector<std::vector<int32_t>> below(n);
  std::vector<std::vector<int32_t>> children(n);
  for (int32_t j = 0; j < n; ++j)
    if (parent[j] >= 0) children[parent[j]].push_back(j);
  std::vector<int64_t> mark(n, -1);
  int64_t entries = 0;
  for (int32_t j = 0; j < n; ++j) {
    std::vector<int32_t>& s = below[j];
    mark[j] = j;
    for (const int32_t i : p.lower[j])
      if (mark[i] != j) mark[i] = j, s.push_back(i);
    for (const int32_t c : children[j])
      for (const int32_t i : below[c])
        if (mark[i] != j) mark[i] = j, s.push_back(i);
    std::sort(s.begin(), s.end());
    entries += static_cast<int64_t>(s.size()) + 1;
    if (entries > max_entries) return false;
  }
  // 4. Fundamental supernodes, then relaxed amalgamation of a node into its parent when they are
  // adjacent.
  std::vector<Node> nodes;
  for (int64_t j = 0; j < n; ++j) {
    const bool extends = j > 0 && parent[j - 1] == j && children[j].size() == 1 &&
                         below[j].size() + 1 == below[j - 1].size();
    if (!extends) nodes.push_back(Node{j, j, {}, 0});
    Node& node = nodes.back();
    node.last = j + 1;
    node.nonzeros += static_cast<int64_t>(below[j].size()) + 1;
  }
  for (Node& node : nodes) node.below = below[node.last - 1];
  below.clear();
  std::vector<Node> merged;
  for (Node& node : nodes) {
    merged.push_back(std::move(node));
    while (merged.size() >= 2) {
      Node& child = merged[merged.size() - 2];
      Node& top = merged.back();
      const int32_t pc = parent[child.last - 1];
      if (pc < top.first || pc >= top.last) break;
      Node m{child.first, top.last, top.below, child.nonzeros + top.nonzeros};
      if (!Relax(m.cols(), 1.0 - static_cast<double>(m.nonzeros) / m.stored())) break;
      merged.pop_back();
      merged.back() = std::move(m);
    }
  }
  // 5. The plan.
  plan = SupernodalPlan{};
  plan.n = n;
  plan.perm = perm;
  const int64_t ns = static_cast<int64_t>(merged.size());
  std::vector<int32_t> super_of(n);
  plan.first.push_back(0);
  plan.row_off.push_back(0);
  plan.front_off.push_back(0);
  for (int64_t s = 0; s < ns; ++s) {
    const Node& node = merged[s];
    for (int64_t j = node.first; j < node.last; ++j) {
      super_of[j] = static_cast<int32_t>(s);
      plan.rows.push_back(static_cast<int32_t>(j));
    }
    plan.rows.insert(plan.rows.end(), node.below.begin(), node.below.end());
    plan.first.push_back(node.last);
    plan.row_off.push_back(static_cast<int64_t>(plan.rows.size()));
    const int64_t nf = plan.front_size(s);
    plan.front_off.push_back(plan.front_off.back() + nf * nf);
    for (int64_t k = 0; k < node.cols(); ++k) {
      const double b = static_cast<double>(nf - k - 1);
      plan.flops += b * b;
    }
    plan.factor_entries += node.stored();
  }
  if (plan.factor_entries > max_entries) return false;
  plan.parent.assign(ns, -1);
  plan.map_off.assign(1, 0);
  for (int64_t s = 0; s < ns; ++s) {
    const int32_t pc = parent[plan.first[s + 1] - 1];
    if (pc >= 0) {
      const int32_t ps = super_of[pc];
      plan.parent[s] = ps;
      // Positions of s's rows below its columns among the parent's rows (both increasing).
      const int32_t* pr = plan.rows.data() + plan.row_off[ps];
      const int64_t pn = plan.front_size(ps);
      int64_t at = 0;
      for (int64_t r = plan.row_off[s] + plan.columns(s); r < plan.row_off[s + 1]; ++r) {
        while (at < pn && pr[at] < plan.rows[r]) ++at;
        if (at == pn || pr[at] != plan.rows[r]) return false;  // cannot happen for a valid tree
        plan.map.push_back(static_cast<int32_t>(at));
      }
    }
    plan.map_off.push_back(static_cast<int64_t>(plan.map.size()));
  }
  // Ends of the runs of consecutive parent positions, scanned backwards.
  plan.map_run.resize(plan.map.size());
  for (int64_t s = 0; s < ns; ++s) {
    const int64_t b = plan.map_off[s], e = plan.map_off[s + 1];
    for (int64_t x = e - 1; x >= b; --x)
      plan.map_run[x] = x + 1 < e && plan.map[x + 1] == plan.map[x] + 1
                            ? plan.map_run[x + 1]
                            : static_cast<int32_t>(x + 1 - b);
  }
  return true;
}

}  // namespace lmm::cpu
