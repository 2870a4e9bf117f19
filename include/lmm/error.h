// Errors raised for bad input and failed fits. The CLI maps ErrorKind to its exit code.
#pragma once

#include <stdexcept>
#include <string>

namespace lmm {

// Exit codes of the `lmmgpu` program (documented in README.md and --help).
enum class ErrorKind {
  kUsage = 2,      // bad command line or formula
  kData = 2,       // bad or unusable data file
  kNumerical = 3,  // the fit failed numerically
  kInternal = 1,   // a bug: please report it
};

// An error the user can act on. what() is one line and, for input errors, starts with the place:
// "FILE:LINE:COLUMN: message" for data, a caret diagram for formulas.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  int exit_code() const { return static_cast<int>(kind_); }

 private:
  ErrorKind kind_;
};

inline Error DataError(const std::string& message) { return Error(ErrorKind::kData, message); }
inline Error UsageError(const std::string& message) { return Error(ErrorKind::kUsage, message); }

}  // namespace lmm
