// Distinct strings of one column within one chunk, numbered in order of first appearance.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lmm::io {

class StringInterner {
 public:
  StringInterner() = default;
  StringInterner(StringInterner&&) = default;  // moving a deque keeps its elements in place
  StringInterner& operator=(StringInterner&&) = default;
  StringInterner(const StringInterner&) = delete;
  StringInterner& operator=(const StringInterner&) = delete;

  // The code of `text`, adding it when new. Consecutive equal strings (sorted or grouped files)
  // skip the hash lookup.
  int32_t Intern(std::string_view text) {
    if (last_code_ >= 0 && text == strings_[last_code_]) return last_code_;
    auto it = index_.find(text);
    if (it == index_.end()) {
      strings_.emplace_back(text);
      it = index_.emplace(strings_.back(), static_cast<int32_t>(strings_.size() - 1)).first;
    }
    last_code_ = it->second;
    return last_code_;
  }
  // Strings by code; references stay valid while the interner lives.
  const std::deque<std::string>& strings() const { return strings_; }
  size_t size() const { return strings_.size(); }

 private:
  std::deque<std::string> strings_;  // deque: growth never moves the strings the index views
  std::unordered_map<std::string_view, int32_t> index_;
  int32_t last_code_ = -1;
};

}  // namespace lmm::io
