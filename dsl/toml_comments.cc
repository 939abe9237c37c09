#include "dsl/toml_comments.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <string_view>

namespace ferry::dsl {
namespace {

struct RawComment {
  uint32_t line;
  uint32_t col;
  std::string text;      // after the '#'
  bool own_line;         // nothing but blanks before it on its line
  bool continues_value;  // its line began inside a value (a list, an inline table, a """string)
};

// The comments of a TOML text. Only what can hide a '#' or hold a line break is tracked:
// strings of the four kinds, and the brackets of values (so a line that starts with '[' inside
// a list is not taken for a table header).
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  std::vector<RawComment> comments() {
    std::vector<RawComment> out;
    bool line_continues = false;
    bool at_line_start = true;
    while (i_ < text_.size()) {
      char c = text_[i_];
      if (c == '\n') {
        advance();
        line_continues = depth_ > 0;
        at_line_start = true;
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\r') {
        advance();
        continue;
      }
      bool first_on_line = at_line_start;
      at_line_start = false;
      if (c == '#') {
        RawComment comment{line_, col_, "", first_on_line, line_continues};
        advance();
        size_t end = text_.find('\n', i_);
        if (end == std::string_view::npos) end = text_.size();
        std::string_view rest = text_.substr(i_, end - i_);
        if (!rest.empty() && rest.back() == '\r') rest.remove_suffix(1);
        comment.text = std::string(rest);
        advance(rest.size());
        out.push_back(std::move(comment));
      } else if (c == '"' || c == '\'') {
        // A string may span lines ("""...""" and '''...'''): the lines after its first one
        // continue a value.
        uint32_t start = line_;
        skip_string(c);
        if (line_ != start) line_continues = true;
      } else if (c == '[' && first_on_line && depth_ == 0) {
        skip_header();
      } else {
        if (c == '[' || c == '{') ++depth_;
        if ((c == ']' || c == '}') && depth_ > 0) --depth_;
        advance();
      }
    }
    return out;
  }

 private:
  void advance(size_t n = 1) {
    for (size_t k = 0; k < n && i_ < text_.size(); ++k, ++i_) {
      if (text_[i_] == '\n') {
        ++line_;
        col_ = 1;
      } else {
        ++col_;
      }
    }
  }

  bool at(std::string_view s) const { return text_.substr(i_, s.size()) == s; }

  void skip_string(char quote) {
    std::string delimiter(3, quote);
    bool multiline = at(delimiter);
    bool basic = quote == '"';
    advance(multiline ? 3 : 1);
    while (i_ < text_.size()) {
      char c = text_[i_];
      if (basic && c == '\\') {
        advance(2);
      } else if (!multiline && (c == quote || c == '\n')) {
        if (c == quote) advance();
        return;  // a line break ends a one-line string (toml++ has reported it)
      } else if (multiline && at(delimiter)) {
        advance(3);
        // Up to two more quotes are part of the string: """a""""" is `a""`.
        for (int extra = 0; extra < 2 && i_ < text_.size() && text_[i_] == quote; ++extra) advance();
        return;
      } else {
        advance();
      }
    }
  }

  // `[a.b]` or `[[a.b]]`, whose quoted keys may hold ']' or '#'.
  void skip_header() {
    while (i_ < text_.size() && text_[i_] != '\n') {
      char c = text_[i_];
      if (c == '"' || c == '\'') {
        skip_string(c);
      } else if (c == ']') {
        advance(at("]]") ? 2 : 1);
        return;
      } else {
        advance();
      }
    }
  }

  std::string_view text_;
  size_t i_ = 0;
  uint32_t line_ = 1;
  uint32_t col_ = 1;
  int depth_ = 0;
};

using Position = std::pair<uint32_t, uint32_t>;  // line, column

// Where a comment may go: a declaration or a field, at the position of its header or key.
struct Anchor {
  Position at;
  Comments* comments;
  bool one_line;  // printed on one line in .ferry, so it may keep a comment at its end
};

class Placer {
 public:
  explicit Placer(const std::vector<HeadKey>& heads) : heads_(heads) {}

  void place(const SourceFile& source, File* file) {
    collect(file);
    for (const HeadKey& head : heads_) {
      auto owner = owners_.find({head.owner.line, head.owner.col});
      if (owner != owners_.end()) {
        anchors_.push_back(Anchor{{head.at.line, head.at.col}, owner->second.first, owner->second.second});
      }
    }
    std::stable_sort(anchors_.begin(), anchors_.end(), [](const Anchor& a, const Anchor& b) { return a.at < b.at; });
    for (RawComment& c : Scanner(source.text()).comments()) {
      if (!c.own_line) {
        if (Anchor* a = ends_line_of(c)) {
          if (a->one_line && a->comments->trailing.empty()) {
            a->comments->trailing = std::move(c.text);
          } else {
            a->comments->leading.push_back(std::move(c.text));
          }
          continue;
        }
      }
      auto next = after(c.line, c.col);
      if (next == anchors_.end()) {
        file->closing_comments.push_back(std::move(c.text));
      } else {
        next->comments->leading.push_back(std::move(c.text));
      }
    }
  }

 private:
  // The first anchor after `line`:`col`.
  std::vector<Anchor>::iterator after(uint32_t line, uint32_t col) {
    return std::upper_bound(anchors_.begin(), anchors_.end(), Position{line, col},
                            [](const Position& at, const Anchor& a) { return at < a.at; });
  }

  // The anchor a comment at the end of a line belongs to: the first one on that line (a comment
  // runs to the end of its line, so every anchor on it comes before), or, on a line that
  // continues a value, the one that value is for.
  Anchor* ends_line_of(const RawComment& c) {
    auto first_on_line = after(c.line, 0);
    if (first_on_line != anchors_.end() && first_on_line->at.first == c.line) return &*first_on_line;
    bool any_before = first_on_line != anchors_.begin();
    return c.continues_value && any_before ? &*std::prev(first_on_line) : nullptr;
  }

  void add(Span at, Comments* comments, bool one_line) {
    anchors_.push_back(Anchor{{at.line, at.col}, comments, one_line});
    owners_[{at.line, at.col}] = {comments, one_line};
  }

  void fields(std::vector<Field>& list) {
    for (Field& f : list) add(f.span, &f.comments, true);
  }

  void body(std::vector<Stmt>& stmts) {
    for (Stmt& s : stmts) {
      bool one_line = s.kind == Stmt::Kind::Let || s.kind == Stmt::Kind::Instance;
      add(s.span, &s.comments, one_line);
      fields(s.fields);
      body(s.body);
    }
  }

  void collect(File* file) {
    add(file->span, &file->comments, false);
    fields(file->settings);
    for (Use& u : file->uses) add(u.span, &u.comments, true);
    for (Param& p : file->params) add(p.span, &p.comments, true);
    for (Cluster& c : file->clusters) {
      add(c.span, &c.comments, false);
      fields(c.fields);
    }
    body(file->lets);
    for (Template& t : file->templates) {
      add(t.span, &t.comments, false);
      // .ferry has no place for a comment on a template parameter: the template takes it.
      for (Param& p : t.params) add(p.span, &t.comments, false);
      body(t.body);
    }
    for (Phase& p : file->phases) {
      add(p.span, &p.comments, false);
      fields(p.settings);
      body(p.body);
    }
  }

  const std::vector<HeadKey>& heads_;
  std::vector<Anchor> anchors_;
  std::map<Position, std::pair<Comments*, bool>> owners_;
};

}  // namespace

void place_toml_comments(const SourceFile& source, const std::vector<HeadKey>& heads, File* file) {
  Placer(heads).place(source, file);
}

}  // namespace ferry::dsl
