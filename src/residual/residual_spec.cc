#include "residual/residual_spec.h"

#include <cctype>
#include <vector>

#include "lmm/error.h"

namespace lmm::residual {
namespace {

struct Token {
  enum class Kind { kName, kInt, kPunct } kind;
  std::string text;
};

class SpecParser {
 public:
  explicit SpecParser(std::string_view text) : text_(text) { Tokenize(); }

  ResidualSpec Parse() {
    ResidualSpec spec;
    spec.text = std::string(text_);
    if (tokens_.empty() || tokens_[0].kind != Token::Kind::kName)
      Fail(
          "expected a structure: independent, exchangeable, ar, ma, toeplitz, banded, "
          "unstructured or exponential");
    spec.type = TypeOf(tokens_[pos_++].text);
    bool order_given = false;
    bool parenthesized = false;
    if (Peek("(")) {
      parenthesized = true;
      ++pos_;
    }
    bool first = true;
    while (pos_ < tokens_.size()) {
      if (parenthesized && Peek(")")) {
        ++pos_;
        if (pos_ != tokens_.size()) Fail("unexpected '" + tokens_[pos_].text + "' after ')'");
        parenthesized = false;
        break;
      }
      if (Peek(",")) {
        ++pos_;
        continue;
      }
      const Token& t = tokens_[pos_++];
      if (t.kind == Token::Kind::kInt) {
        if (!first) Fail("the order must come first");
        spec.order = ParseOrder(t.text);
        order_given = true;
      } else if (t.kind == Token::Kind::kName) {
        std::string value;
        if (Peek("=")) {
          ++pos_;
          value = ExpectName(t.text);
        } else if (Peek("(")) {
          ++pos_;
          value = ExpectName(t.text);
          if (!Peek(")")) Fail("expected ')' after " + t.text + "(" + value);
          ++pos_;
        } else {
          Fail("expected '=' after '" + t.text + "'");
        }
        if (t.text == "time" || t.text == "t") {
          if (!spec.time.empty()) Fail("the time variable is given twice");
          spec.time = value;
        } else if (t.text == "by") {
          if (!spec.by.empty()) Fail("the by variable is given twice");
          spec.by = value;
        } else if (t.text == "group") {
          if (!spec.group.empty()) Fail("the group variable is given twice");
          spec.group = value;
        } else {
          Fail("unknown option '" + t.text + "' (expected time = VAR, by = VAR or group = VAR)");
        }
      } else {
        Fail("unexpected '" + t.text + "'");
      }
      first = false;
    }
    if (parenthesized) Fail("missing ')'");
    Validate(spec, order_given);
    return spec;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw UsageError("--residuals '" + std::string(text_) + "': " + what);
  }

  bool Peek(const char* punct) const {
    return pos_ < tokens_.size() && tokens_[pos_].kind == Token::Kind::kPunct &&
           tokens_[pos_].text == punct;
  }

  std::string ExpectName(const std::string& key) {
    if (pos_ >= tokens_.size() || tokens_[pos_].kind != Token::Kind::kName)
      Fail("expected a variable name after '" + key + "'");
    return tokens_[pos_++].text;
  }

  int ParseOrder(const std::string& digits) const {
    if (digits.size() > 4) Fail("order " + digits + " is too large");
    return std::stoi(digits);
  }

  void Tokenize() {
    size_t i = 0;
    while (i < text_.size()) {
      const unsigned char c = static_cast<unsigned char>(text_[i]);
      if (std::isspace(c)) {
        ++i;
      } else if (std::isdigit(c) || c == '-') {
        size_t j = i + 1;
        while (j < text_.size() && std::isdigit(static_cast<unsigned char>(text_[j]))) ++j;
        if (c == '-' || (j < text_.size() && text_[j] == '.'))
          Fail("the order must be a nonnegative integer");
        tokens_.push_back({Token::Kind::kInt, std::string(text_.substr(i, j - i))});
        i = j;
      } else if (std::isalpha(c) || c == '_' || c == '.') {
        size_t j = i + 1;
        while (j < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[j])) ||
                                    text_[j] == '_' || text_[j] == '.'))
          ++j;
        tokens_.push_back({Token::Kind::kName, std::string(text_.substr(i, j - i))});
        i = j;
      } else if (c == '(' || c == ')' || c == ',' || c == '=') {
        tokens_.push_back({Token::Kind::kPunct, std::string(1, static_cast<char>(c))});
        ++i;
      } else {
        Fail(std::string("unexpected character '") + static_cast<char>(c) + "'");
      }
    }
  }

  ResidualType TypeOf(const std::string& name) const {
    if (name == "independent" || name == "ind") return ResidualType::kIndependent;
    if (name == "exchangeable" || name == "exc") return ResidualType::kExchangeable;
    if (name == "ar") return ResidualType::kAr;
    if (name == "ma") return ResidualType::kMa;
    if (name == "toeplitz" || name == "toe") return ResidualType::kToeplitz;
    if (name == "banded" || name == "ban") return ResidualType::kBanded;
    if (name == "unstructured" || name == "un") return ResidualType::kUnstructured;
    if (name == "exponential" || name == "exp") return ResidualType::kExponential;
    Fail("unknown structure '" + name +
         "' (expected independent, exchangeable, ar, ma, toeplitz, banded, unstructured or "
         "exponential)");
  }

  void Validate(ResidualSpec& spec, bool order_given) const {
    const std::string name = TypeName(spec.type);
    const bool ordered = spec.type == ResidualType::kAr || spec.type == ResidualType::kMa ||
                         spec.type == ResidualType::kToeplitz || spec.type == ResidualType::kBanded;
    if (order_given && !ordered) Fail(name + " takes no order");
    if (spec.type == ResidualType::kAr || spec.type == ResidualType::kMa) {
      if (!order_given) spec.order = 1;
      if (spec.order < 1) Fail(name + " needs an order of at least 1");
    }
    if (spec.type == ResidualType::kToeplitz && order_given && spec.order < 1)
      Fail("toeplitz needs an order of at least 1");
    if ((spec.type == ResidualType::kToeplitz || spec.type == ResidualType::kBanded) &&
        !order_given)
      spec.order = -1;
    const TimeRule rule = spec.time_rule();
    if (rule == TimeRule::kNone && !spec.time.empty()) Fail(name + " takes no time variable");
    if (rule != TimeRule::kNone && spec.time.empty())
      Fail(name + " needs a time variable: " + name + "(" + (ordered ? "#, " : "") + "time = VAR)");
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

}  // namespace

TimeRule ResidualSpec::time_rule() const {
  switch (type) {
    case ResidualType::kIndependent:
    case ResidualType::kExchangeable:
      return TimeRule::kNone;
    case ResidualType::kAr:
    case ResidualType::kMa:
    case ResidualType::kToeplitz:
      return TimeRule::kInteger;
    case ResidualType::kBanded:
    case ResidualType::kUnstructured:
      return TimeRule::kIdentifier;
    case ResidualType::kExponential:
      return TimeRule::kReal;
  }
  return TimeRule::kNone;
}

std::string TypeName(ResidualType type) {
  switch (type) {
    case ResidualType::kIndependent:
      return "independent";
    case ResidualType::kExchangeable:
      return "exchangeable";
    case ResidualType::kAr:
      return "ar";
    case ResidualType::kMa:
      return "ma";
    case ResidualType::kToeplitz:
      return "toeplitz";
    case ResidualType::kBanded:
      return "banded";
    case ResidualType::kUnstructured:
      return "unstructured";
    case ResidualType::kExponential:
      return "exponential";
  }
  return "?";
}

ResidualSpec ParseResidualSpec(std::string_view text) { return SpecParser(text).Parse(); }

}  // namespace lmm::residual
