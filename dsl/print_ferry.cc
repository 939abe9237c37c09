#include <algorithm>
#include <cctype>

#include "dsl/printer.h"

namespace ferry::dsl {
namespace {

// Lines longer than this are broken: lists one item a line, maps one entry a line.
constexpr size_t kLineWidth = 100;

int precedence(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::Ternary: return 1;
    case Expr::Kind::Binary:
      if (e.text == "||") return 2;
      if (e.text == "&&") return 3;
      return e.text == "+" || e.text == "-" ? 5 : 4;
    case Expr::Kind::Unary: return 6;
    default: return 8;
  }
}

bool is_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string escape_text(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '$': out += (i + 1 < text.size() && text[i + 1] == '{') ? "$$" : "$"; break;
      default: out += c;
    }
  }
  return out;
}

std::string quoted(const std::string& text) { return "\"" + escape_text(text) + "\""; }

class Printer {
 public:
  std::string expr(const Expr& e, int indent, int min_prec = 0) {
    std::string text = expr_inner(e, indent);
    return precedence(e) < min_prec ? "(" + text + ")" : text;
  }

  std::string file(const File& f) {
    comments(f.comments, 0);
    out_ += (f.kind == File::Kind::Plan ? "plan " : "module ") + quoted(f.name) + " {\n";
    bool first_group = true;
    auto group = [&](bool non_empty) {
      if (non_empty && !first_group) out_ += "\n";
      if (non_empty) first_group = false;
    };
    group(!f.settings.empty());
    for (const Field& s : f.settings) field(s, 1);
    group(!f.uses.empty());
    for (const Use& u : f.uses) {
      comments(u.comments, 1);
      out_ += "  use " + quoted(u.path) + trailing(u.comments) + "\n";
    }
    group(!f.params.empty());
    for (const Param& p : f.params) {
      comments(p.comments, 1);
      out_ += "  param " + param(p) + trailing(p.comments) + "\n";
    }
    for (const Cluster& c : f.clusters) {
      group(true);
      comments(c.comments, 1);
      out_ += "  cluster " + c.name + " {\n";
      for (const Field& field_ : c.fields) field(field_, 2);
      out_ += "  }" + trailing(c.comments) + "\n";
    }
    group(!f.lets.empty());
    for (const Stmt& l : f.lets) stmt(l, 1);
    for (const Template& t : f.templates) {
      group(true);
      comments(t.comments, 1);
      out_ += "  template " + t.name + "(";
      std::vector<std::string> params;
      size_t width = 0;
      for (const Param& p : t.params) {
        std::string text = p.name;
        if (p.type.name != "any") text += " : " + type(p.type);
        if (p.default_value) text += " = " + expr(*p.default_value, 2);
        width += text.size() + 2;
        params.push_back(std::move(text));
      }
      if (width + t.name.size() + 16 <= kLineWidth) {
        for (size_t i = 0; i < params.size(); ++i) out_ += (i ? ", " : "") + params[i];
      } else {
        out_ += "\n";
        for (const std::string& p : params) out_ += pad(2) + p + ",\n";
        out_ += pad(1);
      }
      out_ += ") {\n";
      body(t.body, 2);
      out_ += "  }" + trailing(t.comments) + "\n";
    }
    for (const Phase& p : f.phases) {
      group(true);
      comments(p.comments, 1);
      out_ += "  phase " + p.name + " {\n";
      for (const Field& s : p.settings) field(s, 2);
      if (!p.settings.empty() && !p.body.empty()) out_ += "\n";
      body(p.body, 2);
      out_ += "  }" + trailing(p.comments) + "\n";
    }
    for (const std::string& c : f.closing_comments) out_ += "  #" + c + "\n";
    out_ += "}\n";
    return out_;
  }

 private:
  static std::string pad(int indent) { return std::string(indent * 2, ' '); }

  void comments(const Comments& c, int indent) {
    for (const std::string& line : c.leading) out_ += pad(indent) + "#" + line + "\n";
  }
  // The comment on the line where a declaration ends; for a block, that is the closing brace
  // (the parser takes it from there), so a block prints it after its closing brace.
  static std::string trailing(const Comments& c) { return c.trailing.empty() ? "" : "  #" + c.trailing; }

  std::string type(const TypeExpr& t) {
    if (t.name == "enum") {
      std::string out = "enum(";
      for (size_t i = 0; i < t.enum_values.size(); ++i) out += (i ? ", " : "") + quoted(t.enum_values[i]);
      return out + ")";
    }
    if (t.name == "list" || t.name == "map") return t.name + "(" + type(t.element[0]) + ")";
    return t.name;
  }

  std::string param(const Param& p) {
    std::string out = p.name + " : " + (p.secret ? "secret " : "") + type(p.type);
    if (p.default_value) out += " = " + expr(*p.default_value, 1);
    return out;
  }

  void field(const Field& f, int indent) {
    comments(f.comments, indent);
    if (f.value.kind == Expr::Kind::Map && f.value.written_as_block) {
      out_ += pad(indent) + f.name + " " + map_block(f.value, indent) + trailing(f.comments) + "\n";
    } else {
      out_ += pad(indent) + f.name + " = " + expr(f.value, indent) + trailing(f.comments) + "\n";
    }
  }

  void body(const std::vector<Stmt>& stmts, int indent) {
    bool previous_multiline = false;
    for (size_t i = 0; i < stmts.size(); ++i) {
      bool multiline = stmts[i].kind != Stmt::Kind::Let;
      if (i > 0 && (multiline || previous_multiline)) out_ += "\n";
      stmt(stmts[i], indent);
      previous_multiline = multiline;
    }
  }

  void stmt(const Stmt& s, int indent) {
    comments(s.comments, indent);
    std::string p = pad(indent);
    switch (s.kind) {
      case Stmt::Kind::Let:
        out_ += p + "let " + s.name + " = " + expr(s.expr, indent) + trailing(s.comments) + "\n";
        return;
      case Stmt::Kind::For:
        out_ += p + "for " + s.name + " in " + expr(s.expr, indent) + " {\n";
        body(s.body, indent + 1);
        out_ += p + "}" + trailing(s.comments) + "\n";
        return;
      case Stmt::Kind::When:
        out_ += p + "when " + expr(s.expr, indent) + " {\n";
        body(s.body, indent + 1);
        out_ += p + "}" + trailing(s.comments) + "\n";
        return;
      case Stmt::Kind::Instance: {
        const std::string keyword = s.isolated ? "isolated step " : "step ";
        out_ += p + keyword + step_name(s, indent) + " = " + s.type + "(";
        std::vector<std::string> args;
        size_t width = 0;
        bool commented = false;  // a comment on an argument needs the one-argument-a-line form
        for (const Field& f : s.fields) {
          args.push_back(f.name + " = " + expr(f.value, indent + 1));
          width += args.back().size() + 2;
          commented = commented || !f.comments.leading.empty() || !f.comments.trailing.empty();
        }
        if (!commented && width + p.size() + keyword.size() + s.type.size() + s.name.size() + 7 <= kLineWidth) {
          for (size_t i = 0; i < args.size(); ++i) out_ += (i ? ", " : "") + args[i];
          out_ += ")" + trailing(s.comments) + "\n";
        } else {
          out_ += "\n";
          for (size_t i = 0; i < args.size(); ++i) {
            comments(s.fields[i].comments, indent + 1);
            out_ += pad(indent + 1) + args[i] + "," + trailing(s.fields[i].comments) + "\n";
          }
          // The call's own comment goes where the parser finds it: on the line it ends.
          out_ += p + ")" + trailing(s.comments) + "\n";
        }
        return;
      }
      case Stmt::Kind::Step:
        out_ += p + "step " + step_name(s, indent) + " = " + s.type + " {\n";
        for (const Field& f : s.fields) field(f, indent + 1);
        if (s.has_rollback_block) {
          out_ += pad(indent + 1) + "rollback {\n";
          body(s.body, indent + 2);
          out_ += pad(indent + 1) + "}\n";
        }
        out_ += p + "}" + trailing(s.comments) + "\n";
        return;
    }
  }

  std::string step_name(const Stmt& s, int indent) {
    return s.index ? s.name + "[" + expr(*s.index, indent) + "]" : s.name;
  }

  std::string map_key(const std::string& key) { return is_identifier(key) ? key : quoted(key); }

  std::string map_block(const Expr& e, int indent) {
    if (e.children.empty()) return "{}";
    std::string out = "{\n";
    for (size_t i = 0; i < e.children.size(); ++i) {
      out += pad(indent + 1) + map_key(e.keys[i]) + " = " + expr(e.children[i], indent + 1) + "\n";
    }
    return out + pad(indent) + "}";
  }

  std::string expr_inner(const Expr& e, int indent) {
    using K = Expr::Kind;
    switch (e.kind) {
      case K::Null: return "null";
      case K::Bool: return e.boolean ? "true" : "false";
      case K::Int: return std::to_string(e.integer);
      case K::Text: return quoted(e.text);
      case K::Ident: return e.text;
      case K::String: {
        std::string out = "\"";
        for (size_t i = 0; i < e.children.size(); ++i) {
          const Expr& part = e.children[i];
          if (part.kind != K::Text) {
            out += "${" + expr(part, indent) + "}";
            continue;
          }
          std::string text = escape_text(part.text);
          // A '$' just before "${x}" would print as "$${x}", the escape of a literal "${x}".
          bool interpolation_next = i + 1 < e.children.size() && e.children[i + 1].kind != K::Text;
          if (interpolation_next && text.ends_with('$')) {
            text.pop_back();
            text += "\\$";
          }
          out += text;
        }
        return out + "\"";
      }
      case K::List: {
        std::vector<std::string> items;
        size_t width = 0;
        bool nested = false;
        for (const Expr& c : e.children) {
          items.push_back(expr(c, indent + 1));
          width += items.back().size() + 2;
          nested = nested || items.back().find('\n') != std::string::npos;
        }
        if (!nested && width + indent * 2 + 20 <= kLineWidth) {
          std::string out = "[";
          for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
          return out + "]";
        }
        std::string out = "[\n";
        for (const std::string& item : items) out += pad(indent + 1) + item + ",\n";
        return out + pad(indent) + "]";
      }
      case K::Map: {
        if (e.children.empty()) return "{}";
        std::string inline_form = "{ ";
        bool nested = false;
        for (size_t i = 0; i < e.children.size(); ++i) {
          std::string value = expr(e.children[i], indent + 1);
          nested = nested || value.find('\n') != std::string::npos;
          inline_form += (i ? ", " : "") + map_key(e.keys[i]) + " = " + value;
        }
        inline_form += " }";
        if (!nested && inline_form.size() + indent * 2 + 20 <= kLineWidth) return inline_form;
        return map_block(e, indent);
      }
      case K::Call: {
        std::string out = e.text + "(";
        for (size_t i = 0; i < e.children.size(); ++i) out += (i ? ", " : "") + expr(e.children[i], indent);
        return out + ")";
      }
      case K::Index: return expr(e.children[0], indent, 7) + "[" + expr(e.children[1], indent) + "]";
      case K::Field: return expr(e.children[0], indent, 7) + "." + e.text;
      case K::Unary: return e.text + expr(e.children[0], indent, 6);
      case K::Binary: {
        int p = precedence(e);
        // ||, && and +/- associate left; comparisons do not chain.
        int left = p == 4 ? 5 : p;
        return expr(e.children[0], indent, left) + " " + e.text + " " + expr(e.children[1], indent, p + 1);
      }
      case K::Ternary:
        return expr(e.children[0], indent, 2) + " ? " + expr(e.children[1], indent) + " : " +
               expr(e.children[2], indent);
    }
    return "";
  }

  std::string out_;
};

}  // namespace

std::string print_expr(const Expr& expr) { return Printer().expr(expr, 0); }

std::string print_ferry(const File& file) { return Printer().file(file); }

}  // namespace ferry::dsl
