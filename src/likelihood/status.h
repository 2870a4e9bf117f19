// Outcome of a numerical step that may fail for some parameter values (a factorization that is not
// positive definite). Cheap to copy and never allocates: the message is a string literal.
//
// kDevice: the accelerator failed (a CUDA, cuBLAS or cuSOLVER call returned an error); unlike
// kNotPositiveDefinite it says nothing about theta, so a fit must stop with the message rather
// than treat the point as infeasible (FitCore throws on it).
#pragma once

#include <cstdint>
#include <string>

namespace lmm {

class Status {
 public:
  enum class Code { kOk, kNotPositiveDefinite, kInvalidArgument, kUnsupported, kDevice };

  Status() = default;
  static Status Ok() { return Status(); }
  // `what` must be a string literal (not copied); `index` names the failing item, or -1.
  static Status Error(Code code, const char* what, int64_t index = -1) {
    Status s;
    s.code_ = code;
    s.what_ = what;
    s.index_ = index;
    return s;
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const char* what() const { return what_; }
  int64_t index() const { return index_; }
  std::string ToString() const {
    if (ok()) return "ok";
    return index_ >= 0 ? std::string(what_) + " (item " + std::to_string(index_) + ")"
                       : std::string(what_);
  }

 private:
  Code code_ = Code::kOk;
  const char* what_ = "";
  int64_t index_ = -1;
};

}  // namespace lmm
