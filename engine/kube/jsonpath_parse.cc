// kubectl's JSONPath parser, after client-go util/jsonpath/parser.go, function by function. Go's
// parser recurses once per token (parseInsideAction calls itself); this one loops, so a long
// template cannot exhaust the stack. It reads bytes where Go reads runes: every decision Go makes
// on a rune compares it with ASCII characters, which no byte of a multi-byte UTF-8 sequence (nor
// an invalid byte, read by Go as U+FFFD of width 1) equals, except unicode.IsLetter/IsDigit,
// where a byte above ASCII is refused here (kubectl then runs and decides).
#include <charconv>
#include <cstring>

#include "engine/kube/go_print.h"
#include "engine/kube/jsonpath_node.h"

namespace ferry::engine::kube::jsonpath {
namespace {

constexpr int kEof = -1;
// Sub-expressions (a union's members, a dict key, a filter's sides) are parsed by parsers of
// their own, as parser.go's parseAction does; deeper than this is refused.
constexpr int kMaxNesting = 8;

bool is_space(int r) { return r == ' ' || r == '\t'; }
bool is_end_of_line(int r) { return r == '\r' || r == '\n'; }
bool is_ascii_digit(int r) { return r >= '0' && r <= '9'; }
// isAlphaNumeric for ASCII runes.
bool is_alnum(int r) { return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || is_ascii_digit(r); }
bool above_ascii(int r) { return r >= 0x80; }

// parser.go isTerminator.
bool is_terminator(int r) {
  if (is_space(r) || is_end_of_line(r)) return true;
  switch (r) {
    case kEof: case '.': case ',': case '[': case ']': case '$': case '@': case '{': case '}':
      return true;
    default:
      return false;
  }
}

Node make(NodeType type, std::string text = "") {
  Node n;
  n.type = type;
  n.text = std::move(text);
  return n;
}

// strconv.Atoi: an optional sign and decimal digits that fit int64.
bool go_atoi(std::string_view s, int64_t* out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_ascii_digit(c)) return false;
  }
  // Magnitude as unsigned, so that -9223372036854775808 fits.
  uint64_t mag = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), mag);
  if (ec != std::errc() || end != s.data() + s.size()) return false;
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (neg) {
    if (mag > kMax + 1) return false;
    *out = mag == kMax + 1 ? INT64_MIN : -static_cast<int64_t>(mag);
  } else {
    if (mag > kMax) return false;
    *out = static_cast<int64_t>(mag);
  }
  return true;
}

// strconv.ParseFloat(s, 64) of what parseNumber collects (a sign, digits and dots). Under- and
// overflow are refused (Go returns ±Inf and an error for overflow, 0 for underflow).
bool go_parse_float(std::string_view s, double* out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  size_t digits = 0, dots = 0;
  for (char c : s) {
    if (c == '.') ++dots;
    else ++digits;
  }
  if (digits == 0 || dots > 1) return false;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::fixed);
  if (ec != std::errc() || end != s.data() + s.size()) return false;
  // A non-zero literal read as 0 underflowed.
  if (v == 0 && s.find_first_of("123456789") != std::string_view::npos) return false;
  *out = neg ? -v : v;
  return true;
}

int unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(char32_t r, std::string* out) {
  if (r < 0x80) {
    *out += static_cast<char>(r);
  } else if (r < 0x800) {
    *out += static_cast<char>(0xC0 | (r >> 6));
    *out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    *out += static_cast<char>(0xE0 | (r >> 12));
    *out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (r >> 18));
    *out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

// parser.go UnquoteExtend: strconv.Unquote, for single quotes too. False where Go errs.
bool unquote_extend(std::string_view s, std::string* out) {
  const size_t n = s.size();
  if (n < 2) return false;
  const char quote = s[0];
  if (quote != s[n - 1] || (quote != '"' && quote != '\'')) return false;
  s = s.substr(1, n - 2);
  if (s.find('\\') == std::string_view::npos && s.find(quote) == std::string_view::npos) {
    *out = std::string(s);
    return true;
  }
  out->clear();
  // strconv.UnquoteChar, once per character.
  while (!s.empty()) {
    const unsigned char c = static_cast<unsigned char>(s[0]);
    if (c == static_cast<unsigned char>(quote)) return false;
    if (c >= 0x80) {
      const auto [r, size] = go::decode_rune(s);
      append_utf8(r, out);  // an invalid byte becomes U+FFFD
      s.remove_prefix(size);
      continue;
    }
    if (c != '\\') {
      *out += static_cast<char>(c);
      s.remove_prefix(1);
      continue;
    }
    if (s.size() <= 1) return false;
    const char e = s[1];
    s.remove_prefix(2);
    switch (e) {
      case 'a': *out += '\a'; break;
      case 'b': *out += '\b'; break;
      case 'f': *out += '\f'; break;
      case 'n': *out += '\n'; break;
      case 'r': *out += '\r'; break;
      case 't': *out += '\t'; break;
      case 'v': *out += '\v'; break;
      case 'x':
      case 'u':
      case 'U': {
        const size_t len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (s.size() < len) return false;
        char32_t v = 0;
        for (size_t j = 0; j < len; ++j) {
          const int x = unhex(s[j]);
          if (x < 0) return false;
          v = (v << 4) | static_cast<char32_t>(x);
        }
        s.remove_prefix(len);
        if (e == 'x') {
          *out += static_cast<char>(v);  // one byte, UTF-8 or not
          break;
        }
        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;  // utf8.ValidRune
        append_utf8(v, out);
        break;
      }
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
        char32_t v = static_cast<char32_t>(e - '0');
        if (s.size() < 2) return false;
        for (size_t j = 0; j < 2; ++j) {
          const int x = s[j] - '0';
          if (x < 0 || x > 7) return false;
          v = (v << 3) | static_cast<char32_t>(x);
        }
        s.remove_prefix(2);
        if (v > 255) return false;
        *out += static_cast<char>(v);
        break;
      }
      case '\\':
        *out += '\\';
        break;
      case '\'':
      case '"':
        if (e != quote) return false;
        *out += e;
        break;
      default:
        return false;
    }
  }
  return true;
}

bool has_identifier(const Node& n) {
  if (n.type == NodeType::kIdentifier) return true;
  for (const Node& c : n.nodes) {
    if (has_identifier(c)) return true;
  }
  return false;
}

class Parser {
 public:
  Parser(std::string_view input, int nesting) : input_(input), nesting_(nesting) {}

  // parser.go Parse / parseText: text outside `{...}` and the actions, into `root`.
  Status parse(Node* root) {
    *root = make(NodeType::kList);
    for (;;) {
      const size_t brace = input_.find('{', pos_);
      if (brace == std::string_view::npos) {
        pos_ = input_.size();
        if (pos_ > start_) root->nodes.push_back(make(NodeType::kText, std::string(consume_text())));
        return Status::Ok();
      }
      pos_ = brace;
      if (pos_ > start_) root->nodes.push_back(make(NodeType::kText, std::string(consume_text())));
      // parseLeftDelim
      pos_ += 1;
      consume_text();
      root->nodes.push_back(make(NodeType::kList));
      if (Status s = inside_action(&root->nodes.back()); !s.ok()) return s;
    }
  }

 private:
  int next() {
    if (pos_ >= input_.size()) {
      width_ = 0;
      return kEof;
    }
    width_ = 1;
    return static_cast<unsigned char>(input_[pos_++]);
  }
  int peek() {
    const int r = next();
    backup();
    return r;
  }
  void backup() { pos_ -= width_; }
  std::string_view consume_text() {
    std::string_view v = input_.substr(start_, pos_ - start_);
    start_ = pos_;
    return v;
  }
  bool at(std::string_view prefix) const { return input_.substr(pos_).substr(0, prefix.size()) == prefix; }

  Status error(const std::string& what) const {
    return Status::Invalid("jsonpath: " + what + " (at byte " + std::to_string(pos_) + ")");
  }

  // parser.go parseAction: `text` as the inside of one action, by a parser of its own.
  Status parse_action(std::string_view text, Node* list) const {
    if (nesting_ >= kMaxNesting) return error("nested too deeply (left to kubectl)");
    Node root;
    const std::string wrapped = "{" + std::string(text) + "}";
    if (Status s = Parser(wrapped, nesting_ + 1).parse(&root); !s.ok()) return s;
    *list = std::move(root.nodes[0]);  // the first node of "{...}" is its action
    return Status::Ok();
  }

  // parser.go parseInsideAction, as a loop: each case appends its node to `cur`, then the loop
  // goes on with what follows, until the closing `}` (parseRightDelim).
  Status inside_action(Node* cur) {
    for (;;) {
      Status s;
      if (at("}")) {
        pos_ += 1;
        consume_text();
        return Status::Ok();
      }
      if (at("[?(")) {
        if (s = parse_filter(cur); !s.ok()) return s;
        continue;
      }
      if (at("..")) {
        if (s = parse_recursive(cur); !s.ok()) return s;
        continue;
      }
      const int r = next();
      if (r == kEof || is_end_of_line(r)) return error("unclosed action");
      if (r == ' ' || r == '@' || r == '$') {
        consume_text();
      } else if (r == '[') {
        s = parse_array(cur);
      } else if (r == '"' || r == '\'') {
        s = parse_quote(cur, r);
      } else if (r == '.') {
        s = parse_field(cur);
      } else if (r == '+' || r == '-' || is_ascii_digit(r)) {
        backup();
        s = parse_number(cur);
      } else if (above_ascii(r)) {
        return error("a character above ASCII in an action (left to kubectl)");
      } else if (is_alnum(r)) {
        backup();
        s = parse_identifier(cur);
      } else {
        return error("unrecognized character in action: '" + std::string(1, static_cast<char>(r)) + "'");
      }
      if (!s.ok()) return s;
    }
  }

  // parseIdentifier: `range`, `end`, `true`, `false` (or anything else, refused when run).
  Status parse_identifier(Node* cur) {
    while (!is_terminator(next())) {
    }
    backup();
    const std::string value(consume_text());
    if (value == "true" || value == "false") {
      Node b = make(NodeType::kBool);
      b.bool_value = value == "true";
      cur->nodes.push_back(std::move(b));
    } else {
      cur->nodes.push_back(make(NodeType::kIdentifier, value));
    }
    return Status::Ok();
  }

  // parseRecursive: `..`, then a field if a name follows.
  Status parse_recursive(Node* cur) {
    if (!cur->nodes.empty() && cur->nodes.back().type == NodeType::kRecursive) {
      return error("invalid multiple recursive descent");
    }
    pos_ += 2;
    consume_text();
    cur->nodes.push_back(make(NodeType::kRecursive));
    const int r = peek();
    if (above_ascii(r)) return error("a character above ASCII after `..` (left to kubectl)");
    if (is_alnum(r)) return parse_field(cur);
    return Status::Ok();
  }

  // parseNumber: an int if strconv.Atoi takes it, else a float if ParseFloat does.
  Status parse_number(Node* cur) {
    const int r = peek();
    if (r == '+' || r == '-') next();
    for (;;) {
      const int c = next();
      if (c != '.' && !is_ascii_digit(c)) {
        backup();
        break;
      }
    }
    const std::string_view value = consume_text();
    Node n;
    if (go_atoi(value, &n.int_value)) {
      n.type = NodeType::kInt;
    } else if (go_parse_float(value, &n.float_value)) {
      n.type = NodeType::kFloat;
    } else {
      return error("cannot parse number " + std::string(value));
    }
    cur->nodes.push_back(std::move(n));
    return Status::Ok();
  }

  // parseArray: `[...]` up to the first `]`: a union (commas), a dict key ('key'), or a slice.
  Status parse_array(Node* cur) {
    for (;;) {
      const int r = next();
      if (r == kEof || r == '\n') return error("unterminated array");
      if (r == ']') break;
    }
    std::string_view text = consume_text();
    text = text.substr(1, text.size() - 2);
    if (text == "*") text = ":";

    // union operator
    if (text.find(',') != std::string_view::npos) {
      Node u = make(NodeType::kUnion);
      size_t from = 0;
      for (;;) {
        const size_t comma = text.find(',', from);
        std::string_view part = text.substr(from, comma == std::string_view::npos ? std::string_view::npos : comma - from);
        // strings.Trim(str, " ")
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
        Node list;
        if (Status s = parse_action("[" + std::string(part) + "]", &list); !s.ok()) return s;
        u.nodes.push_back(std::move(list));
        if (comma == std::string_view::npos) break;
        from = comma + 1;
      }
      cur->nodes.push_back(std::move(u));
      return Status::Ok();
    }

    // dict key: dictKeyRex ^'([^']*)'$
    if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'' &&
        text.substr(1, text.size() - 2).find('\'') == std::string_view::npos) {
      Node list;
      if (Status s = parse_action("." + std::string(text.substr(1, text.size() - 2)), &list); !s.ok()) return s;
      for (Node& n : list.nodes) cur->nodes.push_back(std::move(n));
      return Status::Ok();
    }

    // slice operator: sliceOperatorRex ^(-?[\d]*)(:-?[\d]*)?(:-?[\d]*)?$
    std::string_view groups[3];
    size_t at = 0;
    const auto digits_from = [&](size_t i) {
      if (i < text.size() && text[i] == '-') ++i;
      while (i < text.size() && is_ascii_digit(text[i])) ++i;
      return i;
    };
    size_t end = digits_from(0);
    groups[0] = text.substr(0, end);
    at = end;
    for (int g = 1; g < 3 && at < text.size() && text[at] == ':'; ++g) {
      end = digits_from(at + 1);
      groups[g] = text.substr(at, end - at);
      at = end;
    }
    if (at != text.size()) return error("invalid array index " + std::string(text));
    Node a = make(NodeType::kArray);
    for (int i = 0; i < 3; ++i) {
      std::string_view v = groups[i];
      ParamsEntry& p = a.params[i];
      if (!v.empty()) {
        if (i > 0) v.remove_prefix(1);
        if (i > 0 && v.empty()) {
          p.known = false;
        } else {
          p.known = true;
          if (!go_atoi(v, &p.value)) return error("array index " + std::string(v) + " is not a number");
        }
      } else if (i == 1) {
        p.known = true;
        // Go's int addition wraps.
        p.value = static_cast<int64_t>(static_cast<uint64_t>(a.params[0].value) + 1);
        p.derived = true;
      } else {
        p.known = false;
        p.value = 0;
      }
    }
    cur->nodes.push_back(std::move(a));
    return Status::Ok();
  }

  // parseFilter: `[?(left op right)]` or `[?(path)]` (exists).
  Status parse_filter(Node* cur) {
    pos_ += 3;
    consume_text();
    bool begin = false, end = false;
    int pair = 0;
    for (;;) {
      const int r = next();
      if (r == kEof || r == '\n') return error("unterminated filter");
      if (r == '"' || r == '\'') {
        if (!begin) {
          begin = true;  // the first quote names the pair
          pair = r;
          continue;
        }
        if (input_[pos_ - 2] != '\\' && r == pair) end = true;
      } else if (r == ')') {
        // quotes appear zero times or once, paired
        if (begin == end) break;
      }
    }
    if (next() != ']') return error("unclosed array expect ]");
    std::string_view text = consume_text();
    text = text.substr(0, text.size() - 2);

    // ^([^!<>=]+)([!<>=]+)(.+?)$: the left side up to the first operator character, the longest
    // run of them that leaves a right side.
    constexpr std::string_view kOps = "!<>=";
    const size_t op = text.find_first_of(kOps);
    size_t op_end = op == std::string_view::npos ? op : text.find_first_not_of(kOps, op);
    if (op != std::string_view::npos && op_end == std::string_view::npos) op_end = text.size() - 1;
    Node f = make(NodeType::kFilter);
    if (op == std::string_view::npos || op == 0 || op_end <= op) {
      f.text = "exists";
      Node left;
      if (Status s = parse_action(text, &left); !s.ok()) return s;
      f.nodes.push_back(std::move(left));
      f.nodes.push_back(make(NodeType::kList));
    } else {
      f.text = std::string(text.substr(op, op_end - op));
      Node left, right;
      if (Status s = parse_action(text.substr(0, op), &left); !s.ok()) return s;
      if (Status s = parse_action(text.substr(op_end), &right); !s.ok()) return s;
      f.nodes.push_back(std::move(left));
      f.nodes.push_back(std::move(right));
    }
    // `range` or `end` in a filter would count ranges once per element: not worth following.
    if (has_identifier(f)) return error("an identifier inside a filter (left to kubectl)");
    cur->nodes.push_back(std::move(f));
    return Status::Ok();
  }

  // parseQuote: a string literal, unquoted with Go's escapes.
  Status parse_quote(Node* cur, int quote) {
    for (;;) {
      const int r = next();
      if (r == kEof || r == '\n') return error("unterminated quoted string");
      if (r == quote && input_[pos_ - 2] != '\\') break;  // not escaped
    }
    const std::string_view value = consume_text();
    std::string text;
    if (!unquote_extend(value, &text)) return error("unquote string " + std::string(value) + " error invalid syntax");
    cur->nodes.push_back(make(NodeType::kText, std::move(text)));
    return Status::Ok();
  }

  // parseField: a name up to the next terminator that no backslash escapes; the backslashes
  // go. `*` is the wildcard.
  Status parse_field(Node* cur) {
    consume_text();
    for (;;) {
      const int r = next();
      if (r == '\\') {
        next();
      } else if (is_terminator(r)) {
        backup();
        break;
      }
    }
    const std::string_view value = consume_text();
    if (value == "*") {
      cur->nodes.push_back(make(NodeType::kWildcard));
      return Status::Ok();
    }
    std::string name;
    for (char c : value) {
      if (c != '\\') name += c;
    }
    cur->nodes.push_back(make(NodeType::kField, std::move(name)));
    return Status::Ok();
  }

  std::string_view input_;
  int nesting_;
  size_t pos_ = 0;
  size_t start_ = 0;
  size_t width_ = 0;
};

}  // namespace

Status parse(std::string_view text, Node* root) { return Parser(text, 0).parse(root); }

}  // namespace ferry::engine::kube::jsonpath
