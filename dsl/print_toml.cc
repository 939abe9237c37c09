#include <toml++/toml.h>

#include <set>
#include <sstream>
#include <variant>

#include "dsl/printer.h"

namespace ferry::dsl {
namespace {

// Literal text for a TOML string: `${` must not start an interpolation.
std::string escape_interpolation(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') out += "$";
  }
  return out;
}

// Fields whose bare names (`cluster = source`) read better as plain TOML strings: the schema
// takes a string there as the name it is (a cluster, a step, an enum value).
bool names_a_thing(const std::string& field) {
  return field == "cluster" || field == "after" || field == "rollback" || field == "on" || field == "on_failure";
}

// Every name a file binds to a value: a bare name that is one of these must stay an
// expression ("${after}"), since as a plain string it would name a step or cluster instead.
void collect_bound_names(const std::vector<Stmt>& body, std::set<std::string>* names) {
  for (const Stmt& s : body) {
    if (s.kind == Stmt::Kind::Let || s.kind == Stmt::Kind::For) names->insert(s.name);
    collect_bound_names(s.body, names);
  }
}

std::set<std::string> bound_names(const File& f) {
  std::set<std::string> names;
  for (const Param& p : f.params) names.insert(p.name);
  for (const Stmt& l : f.lets) names.insert(l.name);
  for (const Template& t : f.templates) {
    for (const Param& p : t.params) names.insert(p.name);
    collect_bound_names(t.body, &names);
  }
  for (const Phase& p : f.phases) collect_bound_names(p.body, &names);
  return names;
}

class TomlPrinter {
 public:
  std::string file(const File& f) {
    bound_ = bound_names(f);
    toml::table root;
    toml::table head;
    head.insert("name", f.name);
    if (!f.uses.empty()) {
      toml::array uses;
      for (const Use& u : f.uses) uses.push_back(u.path);
      head.insert("use", uses);
    }
    for (const Field& s : f.settings) put(head, s.name, s.value, s.name);
    root.insert(f.kind == File::Kind::Plan ? "plan" : "module", head);

    if (!f.params.empty()) root.insert("param", params(f.params));
    if (!f.clusters.empty()) {
      toml::table clusters;
      for (const Cluster& c : f.clusters) {
        toml::table t;
        for (const Field& field : c.fields) put(t, field.name, field.value, field.name);
        clusters.insert(c.name, t);
      }
      root.insert("cluster", clusters);
    }
    if (!f.lets.empty()) {
      toml::table lets;
      for (const Stmt& l : f.lets) put(lets, l.name, l.expr, "");
      root.insert("let", lets);
    }
    if (!f.templates.empty()) {
      toml::array templates;
      for (const Template& t : f.templates) {
        toml::table table;
        table.insert("name", t.name);
        if (!t.params.empty()) table.insert("param", params(t.params));
        if (!t.body.empty()) table.insert("step", body(t.body));
        templates.push_back(table);
      }
      root.insert("template", templates);
    }
    if (!f.phases.empty()) {
      toml::array phases;
      for (const Phase& p : f.phases) {
        toml::table table;
        table.insert("name", p.name);
        for (const Field& s : p.settings) put(table, s.name, s.value, s.name);
        if (!p.body.empty()) table.insert("step", body(p.body));
        phases.push_back(table);
      }
      root.insert("phase", phases);
    }
    // toml++ sorts a table's keys; printing each top-level section on its own keeps the
    // reading order people expect: the plan first, the phases last.
    std::string out;
    for (const char* section : {"plan", "module", "param", "cluster", "let", "template", "phase"}) {
      if (!root.contains(section)) continue;
      toml::table one;
      one.insert(section, *root.get(section));
      std::ostringstream text;
      text << toml::toml_formatter(one);
      out += (out.empty() ? "" : "\n\n") + text.str();
    }
    return out + "\n";
  }

 private:
  std::string type(const TypeExpr& t) {
    if (t.name == "enum") {
      std::string out = "enum(";
      for (size_t i = 0; i < t.enum_values.size(); ++i) out += (i ? ", \"" : "\"") + t.enum_values[i] + "\"";
      return out + ")";
    }
    if (t.name == "list" || t.name == "map") return t.name + "(" + type(t.element[0]) + ")";
    return t.name;
  }

  toml::table params(const std::vector<Param>& list) {
    toml::table out;
    for (const Param& p : list) {
      toml::table t;
      t.insert("type", type(p.type));
      if (p.secret) t.insert("secret", true);
      if (p.default_value) put(t, "default", *p.default_value, "");
      out.insert(p.name, t);
    }
    return out;
  }

  toml::array body(const std::vector<Stmt>& stmts) {
    toml::array out;
    for (const Stmt& s : stmts) out.push_back(stmt(s));
    return out;
  }

  toml::table stmt(const Stmt& s) {
    toml::table t;
    switch (s.kind) {
      case Stmt::Kind::Let:
        t.insert("let", s.name);
        put(t, "value", s.expr, "");
        break;
      case Stmt::Kind::For:
        t.insert("for", s.name);
        put(t, "in", s.expr, "");
        if (!s.body.empty()) t.insert("step", body(s.body));
        break;
      case Stmt::Kind::When:
        put(t, "when", s.expr, "");
        if (!s.body.empty()) t.insert("step", body(s.body));
        break;
      case Stmt::Kind::Instance: {
        t.insert("id", s.name);
        if (s.index) put(t, "index", *s.index, "");
        t.insert("template", s.type);
        toml::table args;
        args.is_inline(true);
        for (const Field& f : s.fields) put(args, f.name, f.value, f.name);
        if (!args.empty()) t.insert("args", args);
        break;
      }
      case Stmt::Kind::Step:
        t.insert("id", s.name);
        if (s.index) put(t, "index", *s.index, "");
        t.insert("type", s.type);
        for (const Field& f : s.fields) put(t, f.name, f.value, f.name);
        if (s.has_rollback_block) t.insert("rollback", body(s.body));
        break;
    }
    return t;
  }

  using Value = std::variant<bool, int64_t, std::string, toml::array, toml::table>;

  // An expression as a TOML value: literals stay native; anything else becomes "${...}"
  // (which the TOML loader reads back as that expression).
  Value value(const Expr& e, const std::string& field) {
    using K = Expr::Kind;
    switch (e.kind) {
      case K::Bool: return e.boolean;
      case K::Int: return e.integer;
      case K::Text: return escape_interpolation(e.text);
      case K::String: {
        std::string text;
        for (const Expr& part : e.children) {
          text += part.kind == K::Text ? escape_interpolation(part.text) : "${" + print_expr(part) + "}";
        }
        return text;
      }
      case K::Ident:
        if (names_a_thing(field) && !bound_.count(e.text)) return e.text;
        break;
      case K::List: {
        toml::array a;
        for (const Expr& c : e.children) std::visit([&](auto&& v) { a.push_back(std::move(v)); }, value(c, field));
        return a;
      }
      case K::Map: {
        toml::table t;
        t.is_inline(true);
        for (size_t i = 0; i < e.children.size(); ++i) {
          std::visit([&](auto&& v) { t.insert(e.keys[i], std::move(v)); }, value(e.children[i], e.keys[i]));
        }
        return t;
      }
      default:
        break;
    }
    return "${" + print_expr(e) + "}";
  }

  void put(toml::table& t, const std::string& key, const Expr& e, const std::string& field) {
    std::visit([&](auto&& v) { t.insert(key, std::move(v)); }, value(e, field));
  }

  std::set<std::string> bound_;
};

}  // namespace

std::string print_toml(const File& file) { return TomlPrinter().file(file); }

}  // namespace ferry::dsl
