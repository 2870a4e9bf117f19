// Distinct strings of one column within one chunk, numbered in order of first appearance.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

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
    if (2 * (strings_.size() + 1) > slots_.size()) Grow();
    const size_t hash = std::hash<std::string_view>{}(text);
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.code < 0) {
        slot = Slot{static_cast<uint32_t>(hash), static_cast<int32_t>(strings_.size())};
        strings_.emplace_back(text);
        return last_code_ = slot.code;
      }
      if (slot.hash == static_cast<uint32_t>(hash) && strings_[slot.code] == text)
        return last_code_ = slot.code;
    }
  }
  // Strings by code; references stay valid while the interner lives.
  const std::deque<std::string>& strings() const { return strings_; }
  size_t size() const { return strings_.size(); }

 private:
  // Open addressing with linear probing, at most half full; code -1 marks an empty slot.
  struct Slot {
    uint32_t hash = 0;  // low bits of the string's hash
    int32_t code = -1;
  };

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : 2 * old.size(), Slot{});
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.code < 0) continue;
      // The hash's low 32 bits place the slot: int32 codes keep tables below 2^32 slots.
      size_t i = s.hash & mask;
      while (slots_[i].code >= 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::deque<std::string> strings_;  // deque: growth never moves the strings
  std::vector<Slot> slots_;          // size a power of two
  int32_t last_code_ = -1;
};

}  // namespace lmm::io
