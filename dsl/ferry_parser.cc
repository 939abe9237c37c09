#include "dsl/ferry_parser.h"

#include <algorithm>

#include <cctype>
#include <charconv>
#include <map>
#include <tao/pegtl/contrib/parse_tree.hpp>

#include "dsl/ferry_grammar.h"
#include "dsl/spelling.h"

namespace ferry::dsl {
namespace {

namespace pegtl = tao::pegtl;
namespace g = grammar;

// Deep nesting would exhaust the stack of a recursive-descent parser; real plans nest a few
// levels, so anything past this is refused with an error instead of a crash.
constexpr int kMaxNesting = 100;
thread_local int nesting = 0;

// Raises the message of a rule that failed inside must<> (rules fail quietly elsewhere, so
// backtracking works), and bounds the nesting depth.
template <typename Rule>
struct control : pegtl::normal<Rule> {
  static constexpr bool counts = std::is_same_v<Rule, g::expr> || std::is_same_v<Rule, g::body_item>;

  template <typename Input, typename... States>
  static void start(const Input& in, States&&... st) {
    if constexpr (counts) {
      if (++nesting > kMaxNesting) throw pegtl::parse_error("nesting is too deep (more than 100 levels)", in);
    }
    pegtl::normal<Rule>::start(in, st...);
  }
  template <typename Input, typename... States>
  static void success(const Input& in, States&&... st) {
    if constexpr (counts) --nesting;
    pegtl::normal<Rule>::success(in, st...);
  }
  template <typename Input, typename... States>
  static void failure(const Input& in, States&&... st) {
    if constexpr (counts) --nesting;
    pegtl::normal<Rule>::failure(in, st...);
  }
  template <typename Input, typename... States>
  [[noreturn]] static void raise(const Input& in, States&&...) {
    if constexpr (g::error_message<Rule> != nullptr) {
      throw pegtl::parse_error(g::error_message<Rule>, in);
    } else {
      throw pegtl::parse_error("unexpected text", in);
    }
  }
};

// clang-format off
template <typename Rule>
using selector = pegtl::parse_tree::selector<Rule,
  pegtl::parse_tree::store_content::on<
    g::name, g::qualified_name, g::string_lit, g::text, g::escape, g::dollar_escape, g::lone_dollar,
    g::interpolation, g::integer, g::true_lit, g::false_lit, g::null_lit, g::list_lit, g::map_lit,
    g::map_entry, g::call, g::ident_ref, g::index_suffix, g::field_suffix, g::not_op, g::neg_op,
    g::cmp_op, g::add_op, g::enum_type, g::generic_type, g::simple_type, g::field, g::block_field,
    g::step_decl, g::step_index, g::step_type, g::rollback_block, g::step_body, g::instance_call,
    g::instance_arg, g::let_decl, g::for_decl, g::when_decl, g::phase_decl, g::param_decl,
    g::param_default, g::secret_mark, g::isolated_mark, g::template_param, g::template_decl, g::use_decl,
    g::cluster_decl, g::plan_decl, g::module_decl, g::raw_text, g::template_string>,
  pegtl::parse_tree::fold_one::on<g::expr, g::or_expr, g::and_expr, g::cmp_expr, g::add_expr, g::unary, g::postfix>>;
// clang-format on

// Comments are not in the parse tree; an action collects them, keyed by offset because
// backtracking can match the same comment more than once.
struct RawComment {
  uint32_t line;
  std::string text;
};
using CommentMap = std::map<size_t, RawComment>;

template <typename Rule>
struct collect_comments : pegtl::nothing<Rule> {};
template <>
struct collect_comments<g::comment> {
  template <typename Input>
  static void apply(const Input& in, CommentMap& comments) {
    std::string text = in.string();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    comments[in.position().byte] = RawComment{static_cast<uint32_t>(in.position().line), text.substr(1)};
  }
};

using Node = pegtl::parse_tree::node;

class Builder {
 public:
  Builder(const SourceFile& source, CommentMap comments, Diagnostics* diags, Span origin = {},
          const std::vector<Span>* positions = nullptr)
      : source_(source), comments_(std::move(comments)), next_comment_(comments_.begin()), diags_(diags),
        origin_(origin), positions_(positions) {}

  Expr build_template_string(const Node& n) {
    Expr e = make(Expr::Kind::String, n);
    e.span = origin_;  // the whole string: its opening quote
    for (const auto& part : n.children) append_string_part(*part, &e);
    return e;
  }

  File build_file(const Node& top) {
    File file;
    file.source = &source_;
    file.kind = top.is_type<g::plan_decl>() ? File::Kind::Plan : File::Kind::Module;
    file.span = span(top);
    file.comments = leading(top);
    const auto& kids = top.children;
    file.name = string_value(*kids[0]);
    for (size_t i = 1; i < kids.size(); ++i) {
      const Node& n = *kids[i];
      if (n.is_type<g::use_decl>()) {
        Use use{string_value(*n.children[0]), span(n), leading(n)};
        use.comments.trailing = trailing(n);
        file.uses.push_back(std::move(use));
      } else if (n.is_type<g::param_decl>()) {
        file.params.push_back(build_param(n));
      } else if (n.is_type<g::cluster_decl>()) {
        Cluster cluster{n.children[0]->string(), span(n), {}, leading(n)};
        for (size_t j = 1; j < n.children.size(); ++j) cluster.fields.push_back(build_field(*n.children[j]));
        cluster.comments.trailing = trailing(n);
        file.clusters.push_back(std::move(cluster));
      } else if (n.is_type<g::let_decl>()) {
        file.lets.push_back(build_stmt(n));
      } else if (n.is_type<g::phase_decl>()) {
        file.phases.push_back(build_phase(n));
      } else if (n.is_type<g::template_decl>()) {
        file.templates.push_back(build_template(n));
      } else {
        file.settings.push_back(build_field(n));
      }
    }
    for (; next_comment_ != comments_.end(); ++next_comment_) file.closing_comments.push_back(next_comment_->second.text);
    return file;
  }

 private:
  Span span(const Node& n) const {
    auto line = static_cast<uint32_t>(n.begin().line);
    auto col = static_cast<uint32_t>(n.begin().column);
    // Text parsed out of a TOML string: each byte's place in the TOML file.
    if (positions_) return (*positions_)[std::min(n.begin().byte, positions_->size() - 1)];
    return Span{&source_, line, col};
  }

  Comments leading(const Node& n) {
    Comments c;
    for (; next_comment_ != comments_.end() && next_comment_->first < n.begin().byte; ++next_comment_) {
      c.leading.push_back(next_comment_->second.text);
    }
    return c;
  }

  // A comment on the same line as the end of `n` belongs to it: `replicas = 0  # stop it`.
  std::string trailing(const Node& n) {
    if (next_comment_ == comments_.end()) return "";
    if (next_comment_->second.line != n.end().line || next_comment_->first < n.end().byte) return "";
    return (next_comment_++)->second.text;
  }

  std::string string_value(const Node& n) {
    Expr e = build_expr(n);
    if (e.kind == Expr::Kind::String && e.children.size() == 1 && e.children[0].kind == Expr::Kind::Text) {
      return e.children[0].text;
    }
    if (e.kind == Expr::Kind::String && e.children.empty()) return "";
    diags_->error(span(n), "this string must be a plain literal, without '${...}' interpolation");
    return "";
  }

  Param build_param(const Node& n) {
    Param p;
    p.span = span(n);
    p.comments = leading(n);
    p.name = n.children[0]->string();
    for (size_t i = 1; i < n.children.size(); ++i) {
      const Node& c = *n.children[i];
      if (c.is_type<g::secret_mark>()) {
        p.secret = true;
      } else if (c.is_type<g::param_default>()) {
        p.default_value = build_expr(*c.children[0]);
      } else {
        p.type = build_type(c);
      }
    }
    p.comments.trailing = trailing(n);
    return p;
  }

  TypeExpr build_type(const Node& n) {
    TypeExpr t;
    t.span = span(n);
    if (n.is_type<g::enum_type>()) {
      t.name = "enum";
      for (const auto& c : n.children) t.enum_values.push_back(string_value(*c));
    } else if (n.is_type<g::generic_type>()) {
      t.name = n.string_view().substr(0, 4) == "list" ? "list" : "map";
      t.element.push_back(build_type(*n.children[0]));
    } else {
      t.name = n.string();
      // Alone, `list` and `map` parse as a type name; everything after the parser reads their
      // element type, so they get one (`any`) along with the error.
      if (t.name == "list" || t.name == "map") {
        diags_->error(t.span, "'" + t.name + "' needs the type of its " + (t.name == "list" ? "items" : "values") +
                                  ": write e.g. " + t.name + "(string)");
        t.element.push_back(TypeExpr{"any", {}, {}, t.span});
      }
    }
    return t;
  }

  Field build_field(const Node& n) {
    Field f;
    f.span = span(n);
    f.comments = leading(n);
    f.name = n.children[0]->string();
    f.value = build_expr(*n.children[1]);
    if (n.is_type<g::block_field>()) f.value.written_as_block = true;
    f.comments.trailing = trailing(n);
    return f;
  }

  Phase build_phase(const Node& n) {
    Phase phase;
    phase.span = span(n);
    phase.comments = leading(n);
    phase.name = n.children[0]->string();
    for (size_t i = 1; i < n.children.size(); ++i) {
      const Node& c = *n.children[i];
      if (c.is_type<g::field>() || c.is_type<g::block_field>()) {
        phase.settings.push_back(build_field(c));
      } else {
        phase.body.push_back(build_stmt(c));
      }
    }
    phase.comments.trailing = trailing(n);
    return phase;
  }

  Template build_template(const Node& n) {
    Template t;
    t.span = span(n);
    t.comments = leading(n);
    t.name = n.children[0]->string();
    for (size_t i = 1; i < n.children.size(); ++i) {
      const Node& c = *n.children[i];
      if (c.is_type<g::template_param>()) {
        Param p;
        p.span = span(c);
        p.name = c.children[0]->string();
        p.type.name = "any";
        p.type.span = p.span;
        for (size_t j = 1; j < c.children.size(); ++j) {
          if (c.children[j]->is_type<g::param_default>()) {
            p.default_value = build_expr(*c.children[j]->children[0]);
          } else {
            p.type = build_type(*c.children[j]);
          }
        }
        t.params.push_back(std::move(p));
      } else {
        t.body.push_back(build_stmt(c));
      }
    }
    t.comments.trailing = trailing(n);
    return t;
  }

  Stmt build_stmt(const Node& n) {
    Stmt s;
    s.span = span(n);
    s.comments = leading(n);
    const auto& kids = n.children;
    if (n.is_type<g::let_decl>()) {
      s.kind = Stmt::Kind::Let;
      s.name = kids[0]->string();
      s.expr = build_expr(*kids[1]);
    } else if (n.is_type<g::for_decl>()) {
      s.kind = Stmt::Kind::For;
      s.name = kids[0]->string();
      s.expr = build_expr(*kids[1]);
      for (size_t i = 2; i < kids.size(); ++i) s.body.push_back(build_stmt(*kids[i]));
    } else if (n.is_type<g::when_decl>()) {
      s.kind = Stmt::Kind::When;
      s.expr = build_expr(*kids[0]);
      for (size_t i = 1; i < kids.size(); ++i) s.body.push_back(build_stmt(*kids[i]));
    } else {
      build_step(n, &s);
    }
    s.comments.trailing = trailing(n);
    return s;
  }

  void build_step(const Node& n, Stmt* s) {
    const auto& kids = n.children;
    size_t next = 0;
    const Node* isolated = kids[next]->is_type<g::isolated_mark>() ? kids[next++].get() : nullptr;
    s->name = kids[next++]->string();
    if (kids[next]->is_type<g::step_index>()) s->index = build_expr(*kids[next++]->children[0]);
    const Node& rhs = *kids[next];
    s->type = rhs.children[0]->string();
    s->type_span = span(*rhs.children[0]);
    if (rhs.is_type<g::instance_call>()) {
      s->kind = Stmt::Kind::Instance;
      for (size_t i = 1; i < rhs.children.size(); ++i) s->fields.push_back(build_field(*rhs.children[i]));
      s->isolated = isolated != nullptr;
      return;
    }
    if (isolated) {
      diags_->error(span(*isolated), "only a template instance can be isolated (its own failure scope): 'isolated "
                                     "step ID = TEMPLATE(...)'; '" + s->type + "' is a step type");
    }
    s->kind = Stmt::Kind::Step;
    for (size_t i = 1; i < rhs.children.size(); ++i) {
      const Node& item = *rhs.children[i];
      if (item.is_type<g::rollback_block>()) {
        s->has_rollback_block = true;
        s->rollback_span = span(item);
        for (const auto& c : item.children) s->body.push_back(build_stmt(*c));
      } else {
        s->fields.push_back(build_field(item));
      }
    }
  }

  Expr make(Expr::Kind kind, const Node& n) {
    Expr e;
    e.kind = kind;
    e.span = span(n);
    return e;
  }

  Expr build_expr(const Node& n) {
    using K = Expr::Kind;
    if (n.is_type<g::string_lit>()) {
      Expr e = make(K::String, n);
      for (const auto& part : n.children) append_string_part(*part, &e);
      return e;
    }
    if (n.is_type<g::integer>()) {
      Expr e = make(K::Int, n);
      auto text = n.string_view();
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), e.integer);
      if (ec != std::errc() || ptr != text.data() + text.size()) {
        diags_->error(e.span, "integer '" + std::string(text) + "' is out of range (at most 9223372036854775807)");
      }
      return e;
    }
    if (n.is_type<g::true_lit>() || n.is_type<g::false_lit>()) {
      Expr e = make(K::Bool, n);
      e.boolean = n.is_type<g::true_lit>();
      return e;
    }
    if (n.is_type<g::null_lit>()) return make(K::Null, n);
    if (n.is_type<g::list_lit>()) {
      Expr e = make(K::List, n);
      for (const auto& c : n.children) e.children.push_back(build_expr(*c));
      return e;
    }
    if (n.is_type<g::map_lit>()) {
      Expr e = make(K::Map, n);
      for (const auto& entry : n.children) {
        const Node& key = *entry->children[0];
        e.keys.push_back(key.is_type<g::name>() ? key.string() : string_value(key));
        e.key_spans.push_back(span(key));
        e.children.push_back(build_expr(*entry->children[1]));
      }
      return e;
    }
    if (n.is_type<g::call>()) {
      Expr e = make(K::Call, n);
      e.text = n.children[0]->string();
      for (size_t i = 1; i < n.children.size(); ++i) e.children.push_back(build_expr(*n.children[i]));
      return e;
    }
    if (n.is_type<g::ident_ref>()) {
      Expr e = make(K::Ident, n);
      e.text = n.string();
      return e;
    }
    if (n.is_type<g::postfix>()) return build_postfix(n);
    if (n.is_type<g::unary>()) {
      Expr e = make(K::Unary, n);
      e.text = n.children[0]->is_type<g::not_op>() ? "!" : "-";
      e.children.push_back(build_expr(*n.children[1]));
      return e;
    }
    if (n.is_type<g::cmp_expr>()) {
      Expr e = make(K::Binary, n);
      e.text = n.children[1]->string();
      e.children.push_back(build_expr(*n.children[0]));
      e.children.push_back(build_expr(*n.children[2]));
      return e;
    }
    if (n.is_type<g::add_expr>()) {
      // [operand, op, operand, op, ...], folded to the left.
      Expr lhs = build_expr(*n.children[0]);
      for (size_t i = 1; i + 1 < n.children.size(); i += 2) {
        Expr e = make(K::Binary, n);
        e.text = n.children[i]->string();
        e.children.push_back(std::move(lhs));
        e.children.push_back(build_expr(*n.children[i + 1]));
        lhs = std::move(e);
      }
      return lhs;
    }
    if (n.is_type<g::and_expr>() || n.is_type<g::or_expr>()) {
      const char* op = n.is_type<g::and_expr>() ? "&&" : "||";
      Expr lhs = build_expr(*n.children[0]);
      for (size_t i = 1; i < n.children.size(); ++i) {
        Expr e = make(K::Binary, n);
        e.text = op;
        e.children.push_back(std::move(lhs));
        e.children.push_back(build_expr(*n.children[i]));
        lhs = std::move(e);
      }
      return lhs;
    }
    if (n.is_type<g::expr>()) {  // a ternary: [condition, then, else]
      Expr e = make(K::Ternary, n);
      for (const auto& c : n.children) e.children.push_back(build_expr(*c));
      return e;
    }
    // Only reachable if the grammar and this builder disagree.
    diags_->error(span(n), "internal error: unexpected syntax node '" + std::string(n.type) + "'");
    return make(K::Null, n);
  }

  Expr build_postfix(const Node& n) {
    Expr base = build_expr(*n.children[0]);
    for (size_t i = 1; i < n.children.size(); ++i) {
      const Node& suffix = *n.children[i];
      Expr e = make(suffix.is_type<g::index_suffix>() ? Expr::Kind::Index : Expr::Kind::Field, suffix);
      e.span = base.span;
      if (e.kind == Expr::Kind::Field) e.text = suffix.children[0]->string();
      e.children.push_back(std::move(base));
      if (e.kind == Expr::Kind::Index) e.children.push_back(build_expr(*suffix.children[0]));
      base = std::move(e);
    }
    return base;
  }

  void append_text(std::string_view text, const Node& n, Expr* str) {
    if (str->children.empty() || str->children.back().kind != Expr::Kind::Text) {
      str->children.push_back(make(Expr::Kind::Text, n));
    }
    str->children.back().text += text;
  }

  void append_string_part(const Node& part, Expr* str) {
    if (part.is_type<g::interpolation>()) {
      str->children.push_back(build_expr(*part.children[0]));
    } else if (part.is_type<g::escape>()) {
      static const std::map<char, std::string_view> unescaped = {
          {'"', "\""}, {'\\', "\\"}, {'n', "\n"}, {'t', "\t"}, {'r', "\r"}, {'$', "$"}};
      append_text(unescaped.at(part.string_view()[1]), part, str);
    } else if (part.is_type<g::dollar_escape>()) {
      append_text("${", part, str);
    } else {
      append_text(part.string_view(), part, str);  // text, raw_text or a lone '$'
    }
  }

  const SourceFile& source_;
  CommentMap comments_;
  CommentMap::iterator next_comment_;
  Diagnostics* diags_;
  Span origin_;
  const std::vector<Span>* positions_;
};

// "expected ..." plus a suggestion when the word at the error is a misspelled keyword.
std::string with_keyword_hint(const std::string& message, const SourceFile& source, size_t offset) {
  const std::string& text = source.text();
  size_t end = offset;
  while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) ++end;
  if (end == offset) return message;
  static const std::vector<std::string> keywords = {"plan", "module", "use", "param", "cluster", "let",
                                                    "phase", "step", "for", "when", "template", "rollback", "isolated"};
  std::string word = text.substr(offset, end - offset);
  if (std::find(keywords.begin(), keywords.end(), word) != keywords.end()) return message;
  return message + did_you_mean(word, keywords);
}

// The innermost '{' left open at the end of `text` (its offset), or npos. Strings, their
// interpolations and comments are skipped the way the grammar reads them.
size_t unclosed_brace(const std::string& text) {
  std::vector<size_t> open;        // offsets of '{' not yet closed
  std::vector<bool> in_string{false};  // per nesting level: inside "..." or not
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string.back()) {
      if (c == '\\') {
        ++i;
      } else if (c == '"' || c == '\n') {
        in_string.back() = false;
      } else if (c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
        in_string.push_back(false);  // an interpolation: expression text until its '}'
        open.push_back(std::string::npos);
        ++i;
      }
      continue;
    }
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '"') {
      in_string.back() = true;
    } else if (c == '{') {
      open.push_back(i);
    } else if (c == '}' && !open.empty()) {
      if (open.back() == std::string::npos && in_string.size() > 1) in_string.pop_back();
      open.pop_back();
    }
  }
  while (!open.empty() && open.back() == std::string::npos) open.pop_back();
  return open.empty() ? std::string::npos : open.back();
}

Span span_at_offset(const SourceFile& source, size_t offset) {
  uint32_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < source.text().size(); ++i) {
    if (source.text()[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return Span{&source, line, col};
}

}  // namespace

std::optional<File> parse_ferry(const SourceFile& source, Diagnostics* diags) {
  pegtl::memory_input in(source.text(), source.path());
  CommentMap comments;
  nesting = 0;
  try {
    auto root = pegtl::parse_tree::parse<g::file, selector, collect_comments, control>(in, comments);
    if (!root || root->children.empty()) return std::nullopt;
    Builder builder(source, std::move(comments), diags);
    return builder.build_file(*root->children[0]);
  } catch (const pegtl::parse_error& e) {
    const auto& pos = e.positions().front();
    Span at{&source, static_cast<uint32_t>(pos.line), static_cast<uint32_t>(pos.column)};
    std::string message = with_keyword_hint(std::string(e.message()), source, pos.byte);
    // At the end of the file the position says nothing; the block left open does.
    size_t rest = pos.byte;
    while (rest < source.text().size() && std::isspace(static_cast<unsigned char>(source.text()[rest]))) ++rest;
    if (rest >= source.text().size()) {
      size_t brace = unclosed_brace(source.text());
      if (brace != std::string::npos) {
        diags->error(span_at_offset(source, brace), "unexpected end of file: this '{' is never closed");
        return std::nullopt;
      }
      at = span_at_offset(source, source.text().find_last_not_of(" \t\r\n") + 1);
      message = "unexpected end of file: " + message;
    }
    diags->error(at, message);
    return std::nullopt;
  }
}

std::optional<Expr> parse_interpolated(const SourceFile& source, std::string_view text, Span at,
                                       const std::vector<Span>& positions, Diagnostics* diags) {
  pegtl::memory_input in(text.data(), text.size(), source.path());
  CommentMap comments;
  nesting = 0;
  try {
    auto root = pegtl::parse_tree::parse<g::template_string, selector, pegtl::nothing, control>(in);
    if (!root || root->children.empty()) return std::nullopt;
    Builder builder(source, {}, diags, at, &positions);
    return builder.build_template_string(*root->children[0]);
  } catch (const pegtl::parse_error& e) {
    diags->error(positions[std::min(e.positions().front().byte, positions.size() - 1)], std::string(e.message()));
    return std::nullopt;
  }
}

}  // namespace ferry::dsl
