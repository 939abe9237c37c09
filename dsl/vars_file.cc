#include "dsl/vars_file.h"

#include <algorithm>
#include <map>
#include <set>

#include "dsl/utf8.h"

namespace ferry::dsl {
namespace {

using Environment = std::function<std::optional<std::string>(std::string_view)>;

constexpr const char* kNoCommandSubstitution =
    "command substitution is not supported in a vars file";
constexpr const char* kUnclosedBrace = "'${' without a closing '}'";
constexpr std::string_view kDoubleQuoteEscapes = "\"\\$`";

std::string not_set(std::string_view name) {
  return "variable '" + std::string(name) +
         "' is not set (define it earlier in the file or in the environment)";
}

// Spelled out rather than <cctype>: those depend on the locale and take no negative chars.
bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_blank(char c) { return c == ' ' || c == '\t'; }

class Parser {
 public:
  Parser(const SourceFile& file, const Environment& environment, Diagnostics* diags)
      : file_(file), environment_(environment), diags_(diags) {}

  // Appends the assignment on line `number`, if any; false when the line is malformed or uses a
  // variable whose assignment was.
  bool parse_line(uint32_t number, std::vector<VarsFileEntry>* out);

 private:
  // What ends a word: a blank for the value of an assignment, the `}` of `${NAME:-default}` for a
  // default (which, as in sh, may contain blanks).
  enum class Until { kBlank, kBrace };

  // `live` is false inside a default that is not used: sh does not expand it, so its unset names
  // are no error, though its syntax still must be.
  bool parse_word(Until until, bool live, std::string* value);
  bool parse_single_quoted(std::string* value);
  bool parse_double_quoted(bool live, std::string* value);
  bool parse_dollar(bool live, std::string* value);
  bool parse_braced(size_t dollar, bool live, std::string* value);
  bool lookup(std::string_view name, size_t pos, std::optional<std::string>* found);

  bool at_end() const { return pos_ >= line_.size(); }
  char peek() const { return line_[pos_]; }
  void skip_blanks() {
    while (!at_end() && is_blank(peek())) ++pos_;
  }
  std::string_view read_name();
  bool fail(size_t pos, std::string message);

  const SourceFile& file_;
  const Environment& environment_;
  Diagnostics* diags_;
  std::map<std::string, std::string, std::less<>> defined_;
  // Names whose latest assignment was malformed. Lines using them fail without an error of their
  // own: the malformed line's error is the one to fix, and their values would be wrong anyway.
  std::set<std::string, std::less<>> broken_;

  std::string_view line_;
  uint32_t line_number_ = 0;
  size_t pos_ = 0;
};

bool Parser::parse_line(uint32_t number, std::vector<VarsFileEntry>* out) {
  line_number_ = number;
  line_ = file_.line(number);
  pos_ = 0;
  skip_blanks();
  if (at_end() || peek() == '#') return true;

  size_t name_pos = pos_;
  std::string_view name = read_name();
  if (name == "export" && !at_end() && is_blank(peek())) {
    skip_blanks();
    name_pos = pos_;
    name = read_name();
  }
  if (name.empty()) {
    return fail(pos_,
                "expected a variable name (letters, digits and '_', not starting with a digit)");
  }

  auto abandon = [&] {
    defined_.erase(std::string(name));
    broken_.emplace(name);
    return false;
  };
  if (at_end() || peek() != '=') {
    fail(pos_, "expected '=' right after the variable name");
    return abandon();
  }
  ++pos_;
  std::string value;
  // sh expands a leading unquoted `~` of an assignment to $HOME: `KUBECONFIG=~/.kube/config`.
  if (!at_end() && peek() == '~' && (pos_ + 1 == line_.size() || line_[pos_ + 1] == '/' || is_blank(line_[pos_ + 1]))) {
    std::optional<std::string> home;
    if (!lookup("HOME", pos_, &home) || !home) {
      fail(pos_, not_set("HOME"));
      return abandon();
    }
    value = *home;
    ++pos_;
  }
  if (!parse_word(Until::kBlank, /*live=*/true, &value)) return abandon();
  skip_blanks();
  if (!at_end() && peek() != '#') {
    fail(pos_, "unexpected text after the value; quote values that contain spaces");
    return abandon();
  }

  broken_.erase(std::string(name));
  defined_.insert_or_assign(std::string(name), value);
  out->push_back(VarsFileEntry{std::string(name), std::move(value),
                               Span{&file_, number, static_cast<uint32_t>(name_pos + 1)}});
  return true;
}

bool Parser::parse_word(Until until, bool live, std::string* value) {
  while (!at_end()) {
    char c = peek();
    if (until == Until::kBlank && is_blank(c)) return true;
    if (until == Until::kBrace && c == '}') return true;
    switch (c) {
      case '\'':
        if (!parse_single_quoted(value)) return false;
        break;
      case '"':
        if (!parse_double_quoted(live, value)) return false;
        break;
      case '$':
        if (!parse_dollar(live, value)) return false;
        break;
      case '`':
        return fail(pos_, kNoCommandSubstitution);
      case '\\':
        // sh would join the next line; reading lines one at a time cannot, so say so.
        if (pos_ + 1 == line_.size()) {
          return fail(
              pos_,
              "a '\\' at the end of a line (line continuation) is not supported in a vars file");
        }
        value->push_back(line_[pos_ + 1]);
        pos_ += 2;
        break;
      default:
        value->push_back(c);
        ++pos_;
    }
  }
  return true;
}

bool Parser::parse_single_quoted(std::string* value) {
  size_t open = pos_++;
  size_t close = line_.find('\'', pos_);
  if (close == std::string_view::npos) {
    return fail(open, "unterminated single quote; the closing ' must be on the same line");
  }
  value->append(line_.substr(pos_, close - pos_));
  pos_ = close + 1;
  return true;
}

bool Parser::parse_double_quoted(bool live, std::string* value) {
  size_t open = pos_++;
  while (!at_end()) {
    char c = peek();
    if (c == '"') {
      ++pos_;
      return true;
    }
    if (c == '$') {
      if (!parse_dollar(live, value)) return false;
      continue;
    }
    if (c == '`') return fail(pos_, kNoCommandSubstitution);
    // As in sh, only these are escaped inside double quotes; other backslashes stay.
    if (c == '\\' && pos_ + 1 < line_.size() &&
        kDoubleQuoteEscapes.find(line_[pos_ + 1]) != kDoubleQuoteEscapes.npos) {
      value->push_back(line_[pos_ + 1]);
      pos_ += 2;
      continue;
    }
    value->push_back(c);
    ++pos_;
  }
  return fail(open, "unterminated double quote; the closing \" must be on the same line");
}

bool Parser::parse_dollar(bool live, std::string* value) {
  size_t dollar = pos_++;
  if (!at_end() && peek() == '(') return fail(dollar, kNoCommandSubstitution);
  if (!at_end() && peek() == '{') return parse_braced(dollar, live, value);
  std::string_view name = read_name();
  if (name.empty()) {
    value->push_back('$');
    return true;
  }
  if (!live) return true;
  std::optional<std::string> found;
  if (!lookup(name, dollar, &found)) return false;
  if (!found) return fail(dollar, not_set(name));
  *value += *found;
  return true;
}

bool Parser::parse_braced(size_t dollar, bool live, std::string* value) {
  ++pos_;  // the '{'
  std::string_view name = read_name();
  if (at_end()) return fail(dollar, kUnclosedBrace);
  if (name.empty()) return fail(pos_, "expected a variable name after '${'");

  bool empty_is_unset = false;
  bool has_default = true;
  if (line_.substr(pos_).starts_with(":-")) {
    empty_is_unset = true;
    pos_ += 2;
  } else if (peek() == '-') {
    ++pos_;
  } else if (peek() == '}') {
    has_default = false;
  } else {
    return fail(pos_,
                "unsupported expansion; a vars file allows only ${NAME}, ${NAME:-default} and "
                "${NAME-default}");
  }

  std::optional<std::string> found;
  if (live && !lookup(name, dollar, &found)) return false;
  bool use_default = !found || (empty_is_unset && found->empty());
  std::string fallback;
  if (has_default && !parse_word(Until::kBrace, live && use_default, &fallback)) return false;
  if (at_end()) return fail(dollar, kUnclosedBrace);
  ++pos_;  // the '}'

  if (!live) return true;
  if (!has_default && !found) return fail(dollar, not_set(name));
  *value += use_default ? fallback : *found;
  return true;
}

// Names defined earlier in the file win over the environment, as they would in sh. Returns false
// for a broken name (see `broken_`) and for an environment value that is not UTF-8 (reported at
// `pos`, where it is used).
bool Parser::lookup(std::string_view name, size_t pos, std::optional<std::string>* found) {
  if (auto it = defined_.find(name); it != defined_.end()) {
    *found = it->second;
    return true;
  }
  if (broken_.contains(name)) return false;
  *found = environment_(name);
  if (std::string problem = *found ? utf8_problem(**found) : ""; !problem.empty()) {
    return fail(pos, "environment variable '" + std::string(name) + "' " + problem);
  }
  return true;
}

std::string_view Parser::read_name() {
  size_t begin = pos_;
  if (at_end() || !is_name_start(peek())) return {};
  while (!at_end() && is_name_char(peek())) ++pos_;
  return line_.substr(begin, pos_ - begin);
}

bool Parser::fail(size_t pos, std::string message) {
  diags_->error(Span{&file_, line_number_, static_cast<uint32_t>(pos + 1)}, std::move(message));
  return false;
}

}  // namespace

bool parse_vars_file(const SourceFile& file, const Environment& environment,
                     std::vector<VarsFileEntry>* out, Diagnostics* diags) {
  if (check_utf8(file, diags)) return false;
  Parser parser(file, environment, diags);
  size_t lines = std::count(file.text().begin(), file.text().end(), '\n') + 1;
  bool ok = true;
  for (size_t n = 1; n <= lines; ++n) {
    // Every line is parsed, so one bad line does not hide the problems of the others.
    ok = parser.parse_line(static_cast<uint32_t>(n), out) && ok;
  }
  return ok;
}

}  // namespace ferry::dsl
