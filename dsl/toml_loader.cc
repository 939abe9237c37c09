#include "dsl/toml_loader.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <toml++/toml.h>

#include "dsl/ferry_parser.h"
#include "dsl/spelling.h"
#include "dsl/toml_comments.h"

namespace ferry::dsl {
namespace {

// Where each byte of a TOML string's value came from in the file. toml++ gives the value
// unescaped and only the position of its opening quote, so the raw token is walked again:
// escapes (`\"`, `\u00e9`) and the newline after an opening `"""` shift what follows.
std::vector<Span> string_positions(const SourceFile& source, Span at, size_t value_size) {
  const std::string& text = source.text();
  size_t i = source.offset(at.line, at.col);
  uint32_t line = at.line, col = at.col;
  auto advance = [&](size_t n) {
    for (size_t k = 0; k < n && i < text.size(); ++k, ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
  };
  std::vector<Span> positions;
  char quote = i < text.size() ? text[i] : '"';
  bool multiline = text.compare(i, 3, std::string(3, quote)) == 0;
  advance(multiline ? 3 : 1);
  if (multiline && text.compare(i, 1, "\n") == 0) advance(1);
  if (multiline && text.compare(i, 2, "\r\n") == 0) advance(2);
  while (positions.size() < value_size && i < text.size()) {
    Span here{&source, line, col};
    if (quote == '"' && text[i] == '\\' && i + 1 < text.size()) {
      char e = text[i + 1];
      if (e == 'u' || e == 'U') {
        // One escape, several UTF-8 bytes: all of them point at the backslash.
        size_t digits = e == 'u' ? 4 : 8;
        uint32_t code = static_cast<uint32_t>(std::strtoul(text.substr(i + 2, digits).c_str(), nullptr, 16));
        size_t bytes = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
        positions.insert(positions.end(), bytes, here);
        advance(2 + digits);
      } else if (multiline && (e == ' ' || e == '\t' || e == '\n' || e == '\r')) {
        // A line-ending backslash swallows the whitespace after it.
        advance(1);
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) advance(1);
      } else {
        positions.push_back(here);
        advance(2);
      }
      continue;
    }
    positions.push_back(here);
    advance(1);
  }
  positions.resize(value_size + 1, Span{&source, line, col});
  return positions;
}

// toml++ keeps a table's keys sorted; a plan keeps the order it was written in (params,
// fields, steps' fields, map entries), so `convert --to ferry` reads as the TOML did.
std::vector<std::pair<const toml::key*, const toml::node*>> in_written_order(const toml::table& table) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (const auto& [key, node] : table) entries.emplace_back(&key, &node);
  auto position = [](const std::pair<const toml::key*, const toml::node*>& e) {
    const toml::source_region& where = e.first->source().begin.line ? e.first->source() : e.second->source();
    return std::make_pair(where.begin.line, where.begin.column);
  };
  std::stable_sort(entries.begin(), entries.end(), [&](const auto& a, const auto& b) { return position(a) < position(b); });
  return entries;
}

class TomlReader {
 public:
  TomlReader(const SourceFile& source, Diagnostics* diags) : source_(source), diags_(diags) {}

  const std::vector<HeadKey>& heads() const { return heads_; }

  std::optional<File> read(const toml::table& root) {
    File file;
    file.source = &source_;
    bool is_module = root.contains("module");
    const char* head = is_module ? "module" : "plan";
    file.kind = is_module ? File::Kind::Module : File::Kind::Plan;
    const toml::table* top = root[head].as_table();
    if (!top) {
      diags_->error(span(root), "expected a [plan] or [module] table");
      return std::nullopt;
    }
    file.span = span(*top);
    static const std::vector<std::string> plan_keys = {"plan", "param", "cluster", "let", "template", "phase"};
    static const std::vector<std::string> module_keys = {"module", "let", "template"};
    const auto& allowed = is_module ? module_keys : plan_keys;
    for (const auto& [key, node] : root) {
      std::string k(key.str());
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        diags_->error(span(key, node), "unknown top-level key '" + k + "' in a " + head + did_you_mean(k, allowed));
      }
    }

    for (auto [key, node] : in_written_order(*top)) {
      std::string k(key->str());
      if (k == "name") {
        file.name = plain_string(*node, "the name");
        head_key(*key, *node, file.span);
      } else if (k == "use") {
        for_each_in_array(*node, "'use', a list of module names", [&](const toml::node& item) {
          file.uses.push_back(Use{plain_string(item, "a module name"), span(item), {}});
        });
      } else {
        file.settings.push_back(field(*key, *node));
      }
    }
    if (file.name.empty()) diags_->error(file.span, std::string("the [") + head + "] table needs a 'name'");

    if (auto params = root["param"].as_table()) {
      for (auto [key, node] : in_written_order(*params)) file.params.push_back(param(name(*key, *node, "a param"), *node));
    }
    if (auto clusters = root["cluster"].as_table()) {
      for (auto [key, node] : in_written_order(*clusters)) {
        Cluster c{name(*key, *node, "a cluster"), span(*node), {}, {}};
        if (auto t = table_of(*node, "a cluster")) {
          for (auto [fk, fv] : in_written_order(*t)) c.fields.push_back(field(*fk, *fv));
        }
        file.clusters.push_back(std::move(c));
      }
    }
    if (auto lets = root["let"].as_table()) {
      for (auto [key, node] : in_written_order(*lets)) {
        Stmt s;
        s.kind = Stmt::Kind::Let;
        s.name = name(*key, *node, "a let");
        s.span = span(*node);
        s.expr = expr(*node);
        file.lets.push_back(std::move(s));
      }
      // A comment on the `[let]` line or before it goes with the first let.
      if (!file.lets.empty()) head_key(root.find("let")->first, *lets, file.lets.front().span);
    }
    if (root.contains("template")) {
      for_each_in_array(*root.get("template"), "[[template]] tables", [&](const toml::node& n) {
        file.templates.push_back(template_def(n));
      });
    }
    if (root.contains("phase")) {
      for_each_in_array(*root.get("phase"), "[[phase]] tables", [&](const toml::node& n) { file.phases.push_back(phase(n)); });
    }
    return file;
  }

 private:
  Span span(const toml::node& n) const {
    return Span{&source_, static_cast<uint32_t>(n.source().begin.line), static_cast<uint32_t>(n.source().begin.column)};
  }

  const toml::table* table_of(const toml::node& n, const std::string& what) {
    if (auto t = n.as_table()) return t;
    diags_->error(span(n), "expected a table for " + what);
    return nullptr;
  }

  template <typename Fn>
  void for_each_in_array(const toml::node& n, const std::string& what, Fn fn) {
    const toml::array* a = n.as_array();
    if (!a) {
      diags_->error(span(n), "expected " + what);
      return;
    }
    for (const toml::node& item : *a) fn(item);
  }

  // A name a .ferry file would write as an identifier: ids, loop variables, lets, templates.
  // Anything else would not survive `ferry convert`, and '.', '[' and '/' mean things in ids.
  std::string name(const toml::node& n, const std::string& what) {
    std::string text = plain_string(n, what);
    return valid_name(text, span(n), what) ? text : "";
  }
  std::string name(const toml::key& k, const toml::node& n, const std::string& what) {
    std::string text(k.str());
    return valid_name(text, span(k, n), what) ? text : "";
  }
  bool valid_name(const std::string& text, Span at, const std::string& what) {
    bool ok = !text.empty() && (std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_') &&
              std::all_of(text.begin(), text.end(),
                          [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    if (!ok) {
      diags_->error(at, "'" + text + "' is not a valid name for " + what +
                            ": use letters, digits and '_', not starting with a digit");
    }
    return ok;
  }

  std::string plain_string(const toml::node& n, const std::string& what) {
    if (auto s = n.as_string()) return s->get();
    diags_->error(span(n), "expected a string for " + what);
    return "";
  }

  Span span(const toml::key& k, const toml::node& fallback) const {
    if (k.source().begin.line == 0) return span(fallback);
    return Span{&source_, static_cast<uint32_t>(k.source().begin.line), static_cast<uint32_t>(k.source().begin.column)};
  }

  // A key that belongs to the declaration at `owner` without a node of its own: comments around
  // it go with that declaration (toml_comments.h).
  void head_key(const toml::key& key, const toml::node& value, Span owner) { heads_.push_back({span(key, value), owner}); }

  // A field's errors point at its key; its value's at the value.
  Field field(const toml::key& key, const toml::node& n) {
    Field f{std::string(key.str()), span(key, n), expr(n), {}};
    // A table of its own (`[plan.retry]`) is the block `retry { ... }`; `retry = { ... }` is a map.
    if (auto t = n.as_table(); t && !t->is_inline()) f.value.written_as_block = true;
    return f;
  }

  // A TOML value as an expression: strings may interpolate (`"${x}"` alone is x itself).
  Expr expr(const toml::node& n) {
    Expr e;
    e.span = span(n);
    if (auto s = n.as_string()) {
      auto positions = string_positions(source_, e.span, s->get().size());
      if (auto parsed = parse_interpolated(source_, s->get(), e.span, positions, diags_)) return *parsed;
      return e;
    }
    if (auto i = n.as_integer()) {
      e.kind = Expr::Kind::Int;
      e.integer = i->get();
    } else if (auto b = n.as_boolean()) {
      e.kind = Expr::Kind::Bool;
      e.boolean = b->get();
    } else if (auto a = n.as_array()) {
      e.kind = Expr::Kind::List;
      for (const toml::node& item : *a) e.children.push_back(expr(item));
    } else if (auto t = n.as_table()) {
      e.kind = Expr::Kind::Map;
      for (auto [key, value] : in_written_order(*t)) {
        e.keys.emplace_back(key->str());
        e.key_spans.push_back(span(*key, *value));
        e.children.push_back(expr(*value));
      }
    } else {
      diags_->error(e.span, "floats, dates and times are not plan values; use a string or an int");
    }
    return e;
  }

  TypeExpr type_expr(const toml::node& n) {
    TypeExpr t;
    t.span = span(n);
    std::string text = plain_string(n, "a type");
    // The same spelling as in .ferry: list(string), map(int), enum("a", "b").
    auto open = text.find('(');
    t.name = text.substr(0, open);
    while (!t.name.empty() && t.name.back() == ' ') t.name.pop_back();
    if (open != std::string::npos && text.back() == ')') {
      std::string inner = text.substr(open + 1, text.size() - open - 2);
      if (t.name == "enum") {
        std::string current;
        bool quoted = false;
        for (char c : inner) {
          if (c == '"') {
            if (quoted) t.enum_values.push_back(current);
            current.clear();
            quoted = !quoted;
          } else if (quoted) {
            current += c;
          }
        }
      } else {
        toml::value<std::string> inner_node(inner);
        TypeExpr elem = type_expr(inner_node);
        elem.span = t.span;
        t.element.push_back(elem);
      }
    } else if (t.name == "list" || t.name == "map" || t.name == "enum" || open != std::string::npos) {
      diags_->error(t.span, "malformed type '" + text + "'; write e.g. list(string), map(int) or enum(\"a\", \"b\")");
      t.name = "any";
    }
    return t;
  }

  Param param(const std::string& name, const toml::node& n) {
    Param p;
    p.name = name;
    p.span = span(n);
    p.type.name = "any";
    p.type.span = p.span;
    const toml::table* t = table_of(n, "param '" + name + "' (its type, default and secret)");
    if (!t) return p;
    for (const auto& [key, value] : *t) {
      head_key(key, value, p.span);
      std::string k(key.str());
      if (k == "type") {
        p.type = type_expr(value);
      } else if (k == "default") {
        p.default_value = expr(value);
      } else if (k == "secret") {
        if (auto b = value.as_boolean()) p.secret = b->get();
        else diags_->error(span(value), "'secret' must be true or false");
      } else {
        diags_->error(span(key, value), "unknown key '" + k + "' in param '" + name + "'" +
                                       did_you_mean(k, {"type", "default", "secret"}));
      }
    }
    return p;
  }

  Template template_def(const toml::node& n) {
    Template t;
    t.span = span(n);
    const toml::table* table = table_of(n, "a template");
    if (!table) return t;
    for (const auto& [key, value] : *table) {
      std::string k(key.str());
      if (k == "name") {
        t.name = name(value, "a template");
        head_key(key, value, t.span);
      } else if (k == "param") {
        if (auto params = table_of(value, "the template's parameters")) {
          for (auto [pk, pv] : in_written_order(*params)) {
            t.params.push_back(param(name(*pk, *pv, "a template parameter"), *pv));
          }
        }
      } else if (k == "step") {
        t.body = body(value);
      } else {
        diags_->error(span(key, value), "unknown key '" + k + "' in a template" + did_you_mean(k, {"name", "param", "step"}));
      }
    }
    if (t.name.empty()) diags_->error(t.span, "a [[template]] needs a 'name'");
    return t;
  }

  Phase phase(const toml::node& n) {
    Phase p;
    p.span = span(n);
    const toml::table* table = table_of(n, "a phase");
    if (!table) return p;
    for (auto [key, value] : in_written_order(*table)) {
      std::string k(key->str());
      if (k == "name") {
        p.name = name(*value, "a phase");
        head_key(*key, *value, p.span);
      } else if (k == "step") {
        p.body = body(*value);
      } else {
        p.settings.push_back(field(*key, *value));
      }
    }
    if (p.name.empty()) diags_->error(p.span, "a [[phase]] needs a 'name'");
    return p;
  }

  std::vector<Stmt> body(const toml::node& n) {
    std::vector<Stmt> out;
    for_each_in_array(n, "a list of steps ([[...step]] tables)", [&](const toml::node& item) {
      if (auto s = stmt(item)) out.push_back(std::move(*s));
    });
    return out;
  }

  // One entry of a `step` array: a step, a template instance, a `for`, a `when` block or a `let`,
  // told apart by their keys (see docs/language.md).
  std::optional<Stmt> stmt(const toml::node& n) {
    const toml::table* t = table_of(n, "a step");
    if (!t) return std::nullopt;
    Stmt s;
    s.span = span(n);
    // The keys that make the statement's head (`step ID[INDEX] = TYPE`, `for VAR in LIST`...).
    for (const char* k : {"id", "index", "type", "template", "args", "scope", "for", "in", "let", "value"}) {
      if (auto node = t->get(k)) head_key(t->find(k)->first, *node, s.span);
    }
    if (t->contains("for")) {
      s.kind = Stmt::Kind::For;
      s.name = name(*t->get("for"), "a loop variable");
      expect_only(*t, {"for", "in", "step"}, "a 'for' entry");
      if (!t->contains("in")) diags_->error(s.span, "a 'for' entry needs 'in', the list to loop over");
      else s.expr = expr(*t->get("in"));
      if (t->contains("step")) s.body = body(*t->get("step"));
      return s;
    }
    if (t->contains("let")) {
      s.kind = Stmt::Kind::Let;
      s.name = name(*t->get("let"), "a let");
      expect_only(*t, {"let", "value"}, "a 'let' entry");
      if (!t->contains("value")) diags_->error(s.span, "a 'let' entry needs 'value'");
      else s.expr = expr(*t->get("value"));
      return s;
    }
    if (!t->contains("type") && !t->contains("template") && t->contains("when")) {
      s.kind = Stmt::Kind::When;
      head_key(t->find("when")->first, *t->get("when"), s.span);
      expect_only(*t, {"when", "step"}, "a 'when' block");
      s.expr = expr(*t->get("when"));
      if (t->contains("step")) s.body = body(*t->get("step"));
      return s;
    }
    if (!t->contains("id")) {
      diags_->error(s.span, "a step needs an 'id' (or this entry needs 'for', 'when' or 'let')");
      return std::nullopt;
    }
    s.name = name(*t->get("id"), "a step id");
    if (t->contains("index")) s.index = expr(*t->get("index"));
    if (t->contains("template")) {
      s.kind = Stmt::Kind::Instance;
      s.type = plain_string(*t->get("template"), "the template name");
      s.type_span = span(*t->get("template"));
      expect_only(*t, {"id", "index", "template", "args", "scope"}, "a template instance");
      if (auto scope = t->get("scope")) {
        // `isolated step` in .ferry; a string, so that another kind of scope can come later.
        s.isolated = scope->value<std::string>() == "isolated";
        if (!s.isolated) {
          diags_->error(span(*scope), "'scope' of a template instance must be \"isolated\" (its own failure scope)");
        }
      }
      if (auto args = t->get("args")) {
        if (auto table = table_of(*args, "the template's arguments")) {
          for (auto [key, value] : in_written_order(*table)) s.fields.push_back(field(*key, *value));
        }
      }
      return s;
    }
    s.kind = Stmt::Kind::Step;
    if (!t->contains("type")) {
      diags_->error(s.span, "step '" + s.name + "' needs a 'type' (or a 'template')");
      return std::nullopt;
    }
    s.type = plain_string(*t->get("type"), "the step type");
    s.type_span = span(*t->get("type"));
    for (auto [key, value] : in_written_order(*t)) {
      std::string k(key->str());
      if (k == "id" || k == "index" || k == "type") continue;
      if (k == "rollback" && value->is_array()) {
        s.has_rollback_block = true;
        s.rollback_span = span(*value);
        s.body = body(*value);
        continue;
      }
      s.fields.push_back(field(*key, *value));
    }
    return s;
  }

  void expect_only(const toml::table& t, const std::vector<std::string>& keys, const std::string& what) {
    for (const auto& [key, value] : t) {
      std::string k(key.str());
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
        diags_->error(span(key, value), "unknown key '" + k + "' in " + what + did_you_mean(k, keys));
      }
    }
  }

  const SourceFile& source_;
  Diagnostics* diags_;
  std::vector<HeadKey> heads_;
};

}  // namespace

std::optional<File> load_toml(const SourceFile& source, Diagnostics* diags) {
  toml::table root;
  try {
    root = toml::parse(source.text(), source.path());
  } catch (const toml::parse_error& e) {
    Span at{&source, static_cast<uint32_t>(e.source().begin.line), static_cast<uint32_t>(e.source().begin.column)};
    diags->error(at, std::string(e.description()));
    return std::nullopt;
  }
  size_t errors = diags->size();
  TomlReader reader(source, diags);
  auto file = reader.read(root);
  if (!file || diags->size() != errors) return std::nullopt;
  place_toml_comments(source, reader.heads(), &*file);
  return file;
}

}  // namespace ferry::dsl
