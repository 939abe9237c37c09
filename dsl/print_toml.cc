#include <algorithm>
#include <cctype>
#include <set>

#include "dsl/printer.h"

namespace ferry::dsl {
namespace {

// Lists longer than this are broken one item a line (TOML lets only lists span lines).
constexpr size_t kLineWidth = 100;

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

// A TOML string: basic ("...") unless it holds a quote or a backslash and a literal ('...')
// can hold it as it is, as a person writes `'${env("HOME")}'`.
std::string toml_string(const std::string& text) {
  bool literal_fits = text.find('\'') == std::string::npos &&
                      std::none_of(text.begin(), text.end(), [](char c) {
                        return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
                      });
  if (literal_fits && text.find_first_of("\"\\") != std::string::npos) return "'" + text + "'";
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          static const char* hex = "0123456789ABCDEF";
          out += "\\u00";
          out += hex[(c >> 4) & 0xf];
          out += hex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string toml_key(const std::string& key) {
  bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  return bare ? key : toml_string(key);
}

// Literal text for a TOML string: `${` must not start an interpolation.
std::string escape_interpolation(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') out += "$";
  }
  return out;
}

// Prints the TOML form. Tables come in the order of the declarations, keys in the order of
// the fields, and comments where toml_comments.h reads them back: leading ones on the lines
// before a table header or key, a trailing one at the end of the line. A block's trailing
// comment (after its '}' in .ferry) goes before its header, where it is read back from.
class TomlPrinter {
 public:
  std::string file(const File& f) {
    bound_ = bound_names(f);
    leading(f.comments.leading);
    out_ += f.kind == File::Kind::Plan ? "[plan]\n" : "[module]\n";
    out_ += "name = " + toml_string(f.name) + "\n";
    uses(f.uses);
    std::string path = f.kind == File::Kind::Plan ? "plan" : "module";
    fields(f.settings, path);
    for (const Param& p : f.params) param("param." + toml_key(p.name), p);
    for (const Cluster& c : f.clusters) {
      header("[cluster." + toml_key(c.name) + "]", block_comments(c.comments));
      fields(c.fields, "cluster." + toml_key(c.name));
    }
    if (!f.lets.empty()) {
      header("[let]", {});
      for (const Stmt& l : f.lets) line(assignment(l.name, l.expr, ""), l.comments);
    }
    for (const Template& t : f.templates) {
      header("[[template]]", block_comments(t.comments));
      out_ += "name = " + toml_string(t.name) + "\n";
      for (const Param& p : t.params) param("template.param." + toml_key(p.name), p);
      body(t.body, "template.step");
    }
    for (const Phase& p : f.phases) {
      header("[[phase]]", block_comments(p.comments));
      out_ += "name = " + toml_string(p.name) + "\n";
      fields(p.settings, "phase");
      body(p.body, "phase.step");
    }
    if (!f.closing_comments.empty()) out_ += "\n";
    leading(f.closing_comments);
    return out_;
  }

 private:
  void leading(const std::vector<std::string>& comments) {
    for (const std::string& c : comments) out_ += "#" + c + "\n";
  }
  static std::string trailing(const std::string& comment) { return comment.empty() ? "" : "  #" + comment; }

  // A declaration printed as a block in .ferry keeps all its comments before its header.
  static Comments block_comments(const Comments& c) {
    Comments out{c.leading, ""};
    if (!c.trailing.empty()) out.leading.push_back(c.trailing);
    return out;
  }

  void header(const std::string& text, const Comments& c) {
    out_ += "\n";
    leading(c.leading);
    out_ += text + trailing(c.trailing) + "\n";
  }

  void line(const std::string& text, const Comments& c) {
    leading(c.leading);
    out_ += text + trailing(c.trailing) + "\n";
  }

  // `use = [...]`, one line holding the comments of every `use`.
  void uses(const std::vector<Use>& list) {
    if (list.empty()) return;
    std::string items;
    Comments c;
    for (const Use& u : list) {
      items += (items.empty() ? "" : ", ") + toml_string(u.path);
      c.leading.insert(c.leading.end(), u.comments.leading.begin(), u.comments.leading.end());
      if (!u.comments.trailing.empty() && c.trailing.empty()) {
        c.trailing = u.comments.trailing;
      } else if (!u.comments.trailing.empty()) {
        c.leading.push_back(u.comments.trailing);
      }
    }
    line("use = [" + items + "]", c);
  }

  // The fields of the table at `path`: plain ones as keys, then those written as blocks
  // (`retry { ... }`) as tables of their own (`[path.retry]`), which TOML puts after the keys.
  void fields(const std::vector<Field>& list, const std::string& path) {
    for (const Field& f : list) {
      if (!is_block(f)) line(assignment(f.name, f.value, f.name), f.comments);
    }
    for (const Field& f : list) {
      if (!is_block(f)) continue;
      header("[" + path + "." + toml_key(f.name) + "]", f.comments);
      for (size_t i = 0; i < f.value.children.size(); ++i) {
        out_ += assignment(f.value.keys[i], f.value.children[i], f.value.keys[i]) + "\n";
      }
    }
  }
  static bool is_block(const Field& f) { return f.value.kind == Expr::Kind::Map && f.value.written_as_block; }

  static std::string type(const TypeExpr& t) {
    if (t.name == "enum") {
      std::string out = "enum(";
      for (size_t i = 0; i < t.enum_values.size(); ++i) out += (i ? ", \"" : "\"") + t.enum_values[i] + "\"";
      return out + ")";
    }
    if (t.name == "list" || t.name == "map") return t.name + "(" + type(t.element[0]) + ")";
    return t.name;
  }

  void param(const std::string& path, const Param& p) {
    header("[" + path + "]", p.comments);
    if (p.type.name != "any") out_ += "type = " + toml_string(type(p.type)) + "\n";
    if (p.secret) out_ += "secret = true\n";
    if (p.default_value) out_ += assignment("default", *p.default_value, "") + "\n";
  }

  void body(const std::vector<Stmt>& stmts, const std::string& path) {
    for (const Stmt& s : stmts) stmt(s, path);
  }

  void stmt(const Stmt& s, const std::string& path) {
    bool one_line = s.kind == Stmt::Kind::Let || s.kind == Stmt::Kind::Instance;
    header("[[" + path + "]]", one_line ? s.comments : block_comments(s.comments));
    switch (s.kind) {
      case Stmt::Kind::Let:
        out_ += "let = " + toml_string(s.name) + "\n";
        out_ += assignment("value", s.expr, "") + "\n";
        return;
      case Stmt::Kind::For:
        out_ += "for = " + toml_string(s.name) + "\n";
        out_ += assignment("in", s.expr, "") + "\n";
        body(s.body, path + ".step");
        return;
      case Stmt::Kind::When:
        out_ += "when = " + value(s.expr, "") + "\n";
        body(s.body, path + ".step");
        return;
      case Stmt::Kind::Instance:
        head(s);
        out_ += "template = " + toml_string(s.type) + "\n";
        if (s.isolated) out_ += "scope = \"isolated\"\n";
        arguments(s, path);
        return;
      case Stmt::Kind::Step:
        head(s);
        out_ += "type = " + toml_string(s.type) + "\n";
        fields(s.fields, path);
        if (s.has_rollback_block) body(s.body, path + ".rollback");
        return;
    }
  }

  void head(const Stmt& s) {
    out_ += "id = " + toml_string(s.name) + "\n";
    if (s.index) out_ += "index = " + value(*s.index, "") + "\n";
  }

  // `args = { ... }` when it fits on a line and no argument has a comment, else an `args`
  // table of its own, one argument a line.
  void arguments(const Stmt& s, const std::string& path) {
    if (s.fields.empty()) return;
    std::string inline_form;
    bool commented = false;
    for (const Field& f : s.fields) {
      inline_form += (inline_form.empty() ? "" : ", ") + toml_key(f.name) + " = " + value(f.value, f.name);
      commented = commented || !f.comments.leading.empty() || !f.comments.trailing.empty();
    }
    inline_form = "args = { " + inline_form + " }";
    if (!commented && inline_form.size() <= kLineWidth) {
      out_ += inline_form + "\n";
      return;
    }
    header("[" + path + ".args]", {});
    for (const Field& f : s.fields) line(assignment(f.name, f.value, f.name), f.comments);
  }

  // `key = value`. A list too long for the line is broken one item a line (a list inside an
  // inline table may not be: TOML keeps those on one line).
  std::string assignment(const std::string& key, const Expr& e, const std::string& field) {
    std::string one_line = toml_key(key) + " = " + value(e, field);
    if (e.kind != Expr::Kind::List || e.children.empty() || one_line.size() <= kLineWidth) return one_line;
    std::string out = toml_key(key) + " = [\n";
    for (const Expr& item : e.children) out += "  " + value(item, field) + ",\n";
    return out + "]";
  }

  // An expression as a TOML value: literals stay native; anything else becomes "${...}"
  // (which the TOML loader reads back as that expression). `field` names the place, for
  // names_a_thing().
  std::string value(const Expr& e, const std::string& field) {
    using K = Expr::Kind;
    switch (e.kind) {
      case K::Bool: return e.boolean ? "true" : "false";
      case K::Int: return std::to_string(e.integer);
      case K::Text: return toml_string(escape_interpolation(e.text));
      case K::String: {
        std::string text;
        for (const Expr& part : e.children) {
          text += part.kind == K::Text ? escape_interpolation(part.text) : "${" + print_expr(part) + "}";
        }
        return toml_string(text);
      }
      case K::Ident:
        if (names_a_thing(field) && !bound_.count(e.text)) return toml_string(e.text);
        break;
      case K::List: {
        std::string out = "[";
        for (size_t i = 0; i < e.children.size(); ++i) out += (i ? ", " : "") + value(e.children[i], field);
        return out + "]";
      }
      case K::Map: {
        if (e.children.empty()) return "{}";
        std::string out = "{ ";
        for (size_t i = 0; i < e.children.size(); ++i) {
          out += (i ? ", " : "") + toml_key(e.keys[i]) + " = " + value(e.children[i], e.keys[i]);
        }
        return out + " }";
      }
      default:
        break;
    }
    return toml_string("${" + print_expr(e) + "}");
  }

  std::set<std::string> bound_;
  std::string out_;
};

}  // namespace

std::string print_toml(const File& file) { return TomlPrinter().file(file); }

}  // namespace ferry::dsl
