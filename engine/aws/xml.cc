#include "engine/aws/xml.h"

#include <cstdint>

namespace ferry::aws {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  bool parse(XmlNode* root, std::string* error) {
    skip_prolog();
    if (!at('<')) return fail("expected the document element", error);
    if (!element(root, 0, error)) return false;
    skip_misc();
    if (i_ != s_.size()) return fail("text after the document element", error);
    return true;
  }

 private:
  bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool starts(std::string_view p) const { return s_.substr(i_, p.size()) == p; }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool skip_past(std::string_view end) {
    size_t at = s_.find(end, i_);
    if (at == std::string_view::npos) {
      i_ = s_.size();
      return false;
    }
    i_ = at + end.size();
    return true;
  }
  // Comments, processing instructions and <!DOCTYPE ...> between elements.
  void skip_misc() {
    for (;;) {
      skip_ws();
      if (starts("<?")) {
        skip_past("?>");
      } else if (starts("<!--")) {
        skip_past("-->");
      } else if (starts("<!")) {
        skip_past(">");
      } else {
        return;
      }
    }
  }
  void skip_prolog() {
    if (starts("\xEF\xBB\xBF")) i_ += 3;  // a UTF-8 byte order mark
    skip_misc();
  }
  int line() const {
    int n = 1;
    for (size_t k = 0; k < i_ && k < s_.size(); ++k) n += s_[k] == '\n';
    return n;
  }
  bool fail(const std::string& what, std::string* error) const {
    *error = "XML line " + std::to_string(line()) + ": " + what;
    return false;
  }
  std::string_view name() {
    size_t b = i_;
    while (i_ < s_.size() && s_[i_] != '>' && s_[i_] != '/' && s_[i_] != ' ' && s_[i_] != '\t' && s_[i_] != '\n' &&
           s_[i_] != '\r')
      ++i_;
    return s_.substr(b, i_ - b);
  }
  static std::string local(std::string_view n) {
    size_t colon = n.find(':');
    return std::string(colon == std::string_view::npos ? n : n.substr(colon + 1));
  }
  static void append_utf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  bool entity(std::string* out, std::string* error) {
    size_t semi = s_.find(';', i_);
    if (semi == std::string_view::npos || semi - i_ > 12) return fail("an '&' that starts no entity", error);
    std::string_view e = s_.substr(i_ + 1, semi - i_ - 1);
    if (e == "amp") {
      out->push_back('&');
    } else if (e == "lt") {
      out->push_back('<');
    } else if (e == "gt") {
      out->push_back('>');
    } else if (e == "quot") {
      out->push_back('"');
    } else if (e == "apos") {
      out->push_back('\'');
    } else if (e.size() > 1 && e[0] == '#') {
      uint32_t cp = 0;
      bool hex = e[1] == 'x';
      for (char c : e.substr(hex ? 2 : 1)) {
        int d = c >= '0' && c <= '9' ? c - '0' : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                                               : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0 || cp > 0x10FFFF) return fail("a bad character reference '&" + std::string(e) + ";'", error);
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
      }
      append_utf8(out, cp);
    } else {
      return fail("an unknown entity '&" + std::string(e) + ";'", error);
    }
    i_ = semi + 1;
    return true;
  }
  bool element(XmlNode* node, int depth, std::string* error) {
    if (depth > 64) return fail("elements nested too deeply", error);
    ++i_;  // '<'
    std::string_view open = name();
    if (open.empty()) return fail("an element without a name", error);
    node->name = local(open);
    // Attributes: skipped, but quoted values may hold '>' or '/'.
    for (;;) {
      if (i_ >= s_.size()) return fail("the document ends inside <" + node->name + ">", error);
      char c = s_[i_];
      if (c == '"' || c == '\'') {
        size_t end = s_.find(c, i_ + 1);
        if (end == std::string_view::npos) return fail("an unterminated attribute value", error);
        i_ = end + 1;
      } else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '>') {
        i_ += 2;
        return true;
      } else if (c == '>') {
        ++i_;
        break;
      } else {
        ++i_;
      }
    }
    for (;;) {
      if (i_ >= s_.size()) return fail("the document ends before </" + node->name + ">", error);
      char c = s_[i_];
      if (c == '&') {
        if (!entity(&node->text, error)) return false;
      } else if (c != '<') {
        node->text.push_back(c);
        ++i_;
      } else if (starts("<![CDATA[")) {
        size_t end = s_.find("]]>", i_);
        if (end == std::string_view::npos) return fail("an unterminated CDATA section", error);
        node->text.append(s_.substr(i_ + 9, end - i_ - 9));
        i_ = end + 3;
      } else if (starts("<!--")) {
        if (!skip_past("-->")) return fail("an unterminated comment", error);
      } else if (starts("<?")) {
        if (!skip_past("?>")) return fail("an unterminated processing instruction", error);
      } else if (starts("</")) {
        i_ += 2;
        std::string_view close = name();
        skip_ws();
        if (!at('>')) return fail("a malformed closing tag </" + std::string(close), error);
        ++i_;
        if (local(close) != node->name) {
          return fail("</" + std::string(close) + "> closes <" + node->name + ">", error);
        }
        return true;
      } else {
        node->children.emplace_back();
        if (!element(&node->children.back(), depth + 1, error)) return false;
      }
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

const XmlNode* XmlNode::child(std::string_view n) const {
  for (const XmlNode& c : children) {
    if (c.name == n) return &c;
  }
  return nullptr;
}

std::string XmlNode::child_text(std::string_view n) const {
  const XmlNode* c = child(n);
  return c ? c->text : "";
}

std::vector<const XmlNode*> XmlNode::children_named(std::string_view n) const {
  std::vector<const XmlNode*> out;
  for (const XmlNode& c : children) {
    if (c.name == n) out.push_back(&c);
  }
  return out;
}

bool parse_xml(std::string_view text, XmlNode* root, std::string* error) {
  *root = XmlNode{};
  return Reader(text).parse(root, error);
}

}  // namespace ferry::aws
