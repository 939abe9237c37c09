#include "dsl/ferry_idioms.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "dsl/compile_context.h"
#include "dsl/step_types.h"

namespace ferry::dsl {
namespace {

using K = Expr::Kind;

// A place no value check reads (a let's value, a `for` list, a `when` condition, an index):
// any form of a value means the same there.
const Type kUnchecked = scalar(Type::Kind::Any);

bool is_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// `"${x}"`: the one expression inside, or nullptr.
Expr* lone_interpolation(Expr& e) {
  bool lone = e.kind == K::String && e.children.size() == 1 && e.children[0].kind != K::Text;
  return lone ? &e.children[0] : nullptr;
}

// The text of a string without interpolation, or nullptr.
const std::string* plain_text(const Expr& e) {
  if (e.kind == K::Text) return &e.text;
  bool plain = e.kind == K::String && e.children.size() == 1 && e.children[0].kind == K::Text;
  return plain ? &e.children[0].text : nullptr;
}

// Whether a check against `type` may turn an int or a bool written as "${x}" into its text,
// here or inside (check_value.cc: only where a string is expected).
bool may_take_text(const Type& type) {
  if (type.kind == Type::Kind::String) return true;
  if (std::any_of(type.elem.begin(), type.elem.end(), may_take_text)) return true;
  return std::any_of(type.fields.begin(), type.fields.end(), [](const StructField& f) { return may_take_text(f.type); });
}

std::optional<Type> type_of(const TypeExpr& t) {
  Diagnostics ignored;  // a bad type is the compiler's to report
  return resolve_type_expr(t, &ignored, true);
}

// What the file declares, by name, for telling what a name can stand for.
struct Names {
  std::map<std::string, std::vector<const TypeExpr*>> typed;  // params and template parameters
  std::map<std::string, std::vector<const Expr*>> lets;
  std::map<std::string, std::vector<const Expr*>> loops;      // loop variable -> the list
  std::set<std::string> steps;                                // ids and groups, in any scope
  std::set<std::string> clusters;

  bool bound(const std::string& name) const {
    return typed.count(name) || lets.count(name) || loops.count(name);
  }
  // A step (or group) the bare name stands for, outside any binding: a reference, which no
  // check turns into text.
  bool step(const std::string& name) const { return !bound(name) && steps.count(name); }
};

void collect(const std::vector<Stmt>& body, Names* names) {
  for (const Stmt& s : body) {
    if (s.kind == Stmt::Kind::Let) names->lets[s.name].push_back(&s.expr);
    if (s.kind == Stmt::Kind::For) names->loops[s.name].push_back(&s.expr);
    if (s.kind == Stmt::Kind::Step || s.kind == Stmt::Kind::Instance) names->steps.insert(s.name);
    collect(s.body, names);
  }
}

Names names_of(const File& f) {
  Names names;
  for (const Param& p : f.params) names.typed[p.name].push_back(&p.type);
  for (const Cluster& c : f.clusters) names.clusters.insert(c.name);
  collect(f.lets, &names);
  for (const Template& t : f.templates) {
    for (const Param& p : t.params) names.typed[p.name].push_back(&p.type);
    collect(t.body, &names);
  }
  for (const Phase& p : f.phases) collect(p.body, &names);
  return names;
}

// Whether a value may be an int or a bool, from its expression alone. "Yes" when unsure.
class ScalarGuess {
 public:
  explicit ScalarGuess(const Names& names) : names_(names) {}

  bool may_be_scalar(const Expr& e) {
    switch (e.kind) {
      case K::Null:
      case K::Text:
      case K::List:
      case K::Map: return false;
      case K::Bool:
      case K::Int:
      case K::Unary: return true;
      case K::String: return e.children.size() == 1 && e.children[0].kind != K::Text && may_be_scalar(e.children[0]);
      case K::Ident: return name_may_be_scalar(e.text);
      case K::Index:
      case K::Field: return !reads_a_step(e);
      case K::Call:
        if (e.text == "file" || e.text == "join" || e.text == "exponential" || e.text == "constant" ||
            e.text == "outputs") {
          return false;
        }
        // env(name, default) is the default when the variable is not set.
        if (e.text == "env") return e.children.size() > 1 && may_be_scalar(e.children[1]);
        return true;
      case K::Binary:
        if (e.text != "+") return true;  // - on ints; comparisons, && and || on bools
        return may_be_scalar(e.children[0]) || may_be_scalar(e.children[1]);
      case K::Ternary: return may_be_scalar(e.children[1]) || may_be_scalar(e.children[2]);
    }
    return true;
  }

 private:
  static bool type_may_be_scalar(const TypeExpr& t) { return t.name == "int" || t.name == "bool" || t.name == "any"; }

  bool name_may_be_scalar(const std::string& name) {
    if (!names_.bound(name)) return !names_.steps.count(name) && !names_.clusters.count(name);
    if (!visiting_.insert(name).second) return true;  // `let a = b`, `let b = a`: an error anyway
    bool maybe = false;
    if (auto it = names_.typed.find(name); it != names_.typed.end()) {
      for (const TypeExpr* t : it->second) maybe = maybe || type_may_be_scalar(*t);
    }
    if (auto it = names_.lets.find(name); it != names_.lets.end()) {
      for (const Expr* e : it->second) maybe = maybe || may_be_scalar(*e);
    }
    if (auto it = names_.loops.find(name); it != names_.loops.end()) {
      for (const Expr* e : it->second) maybe = maybe || items_may_be_scalar(*e);
    }
    visiting_.erase(name);
    return maybe;
  }

  // Whether an item of the list `e` may be an int or a bool.
  bool items_may_be_scalar(const Expr& e) {
    switch (e.kind) {
      case K::List: return std::any_of(e.children.begin(), e.children.end(), [&](const Expr& c) { return may_be_scalar(c); });
      case K::String: return e.children.size() != 1 || e.children[0].kind == K::Text || items_may_be_scalar(e.children[0]);
      case K::Ternary: return items_may_be_scalar(e.children[1]) || items_may_be_scalar(e.children[2]);
      case K::Binary: return e.text != "+" || items_may_be_scalar(e.children[0]) || items_may_be_scalar(e.children[1]);
      case K::Ident: {
        if (!names_.bound(e.text) || names_.loops.count(e.text) || !visiting_.insert(e.text).second) return true;
        bool maybe = false;
        if (auto it = names_.typed.find(e.text); it != names_.typed.end()) {
          for (const TypeExpr* t : it->second) {
            maybe = maybe || t->name != "list" || t->element.empty() || type_may_be_scalar(t->element[0]);
          }
        }
        if (auto it = names_.lets.find(e.text); it != names_.lets.end()) {
          for (const Expr* let : it->second) maybe = maybe || items_may_be_scalar(*let);
        }
        visiting_.erase(e.text);
        return maybe;
      }
      default: return true;
    }
  }

  // `snap.path`, `etcd[pod].upload.url`: an output of a step, known only when it runs, which
  // no check turns into text.
  bool reads_a_step(const Expr& e) const {
    const Expr* base = &e;
    while ((base->kind == K::Index || base->kind == K::Field) && !base->children.empty()) base = &base->children[0];
    return base->kind == K::Ident && names_.step(base->text);
  }

  const Names& names_;
  std::set<std::string> visiting_;
};

class Rewriter {
 public:
  Rewriter(const File& file, const std::vector<File>& modules) : names_(names_of(file)), guess_(names_) {
    for (const Template& t : file.templates) templates_[t.name] = &t;
    // A module's template by its qualified name, and by its bare name when only one module
    // defines it and the plan does not (loader.cc's rule).
    std::map<std::string, int> defined;
    for (const File& m : modules) {
      for (const Template& t : m.templates) {
        templates_.emplace(m.name + "." + t.name, &t);
        ++defined[t.name];
      }
    }
    for (const File& m : modules) {
      for (const Template& t : m.templates) {
        if (defined[t.name] == 1) templates_.emplace(t.name, &t);
      }
    }
  }

  void file(File& f) {
    bool plan = f.kind == File::Kind::Plan;
    settings(f.settings, plan ? &plan_settings() : nullptr);
    for (Param& p : f.params) {
      auto type = type_of(p.type);
      if (p.default_value) value(*p.default_value, type ? &*type : nullptr, false);
    }
    for (Cluster& c : f.clusters) settings(c.fields, &cluster_fields());
    body(f.lets);
    for (Template& t : f.templates) {
      for (Param& p : t.params) {
        auto type = type_of(p.type);
        if (p.default_value) value(*p.default_value, type ? &*type : nullptr, false);
      }
      body(t.body);
    }
    for (Phase& p : f.phases) {
      settings(p.settings, &phase_settings());
      body(p.body);
    }
  }

 private:
  static const StructField* find(const std::vector<StructField>& fields, const std::string& name) {
    auto it = std::find_if(fields.begin(), fields.end(), [&](const StructField& f) { return f.name == name; });
    return it == fields.end() ? nullptr : &*it;
  }

  // Settings and step fields: bare enum words are allowed there.
  void settings(std::vector<Field>& fields, const std::vector<StructField>* schema) {
    for (Field& f : fields) {
      const StructField* spec = schema ? find(*schema, f.name) : nullptr;
      value(f.value, spec ? &spec->type : nullptr, true);
    }
  }

  void body(std::vector<Stmt>& stmts) {
    for (Stmt& s : stmts) {
      if (s.index) value(*s.index, &kUnchecked, false);
      switch (s.kind) {
        case Stmt::Kind::Let:
        case Stmt::Kind::For:
        case Stmt::Kind::When: value(s.expr, &kUnchecked, false); break;
        case Stmt::Kind::Step: step_fields(s); break;
        case Stmt::Kind::Instance: arguments(s); break;
      }
      body(s.body);
    }
  }

  void step_fields(Stmt& s) {
    const StepSchema* schema = find_step_schema(s.type);
    for (Field& f : s.fields) {
      const StructField* spec = schema ? find(schema->fields, f.name) : nullptr;
      if (schema && !spec) spec = find(common_step_fields(), f.name);
      value(f.value, spec ? &spec->type : nullptr, true);
    }
  }

  void arguments(Stmt& s) {
    auto it = templates_.find(s.type);
    for (Field& f : s.fields) {
      std::optional<Type> type;
      if (it != templates_.end()) {
        const auto& params = it->second->params;
        auto p = std::find_if(params.begin(), params.end(), [&](const Param& q) { return q.name == f.name; });
        if (p != params.end()) type = type_of(p->type);
      }
      value(f.value, type ? &*type : nullptr, false);
    }
  }

  // `e` where a value of `type` is expected (nullptr: of a type not known here).
  void value(Expr& e, const Type* type, bool bare_words) {
    if (Expr* inner = lone_interpolation(e); inner && unwraps(*inner, type)) {
      Expr unwrapped = std::move(*inner);
      e = std::move(unwrapped);
    }
    if (const std::string* text = plain_text(e); text && type && names_a_thing(*text, *type, bare_words)) {
      std::string name = *text;
      e.kind = K::Ident;
      e.text = std::move(name);
      e.children.clear();
      return;
    }
    if (e.kind == K::List) {
      const Type* item = !type ? nullptr : type->kind == Type::Kind::List ? &type->elem[0] : &kUnchecked;
      for (Expr& c : e.children) value(c, item, bare_words);
    } else if (e.kind == K::Map) {
      for (size_t i = 0; i < e.children.size(); ++i) value(e.children[i], member_type(type, e.keys[i]), bare_words);
    }
  }

  static const Type* member_type(const Type* type, const std::string& key) {
    if (!type) return nullptr;
    if (type->kind == Type::Kind::Map) return &type->elem[0];
    if (type->kind == Type::Kind::Struct) {
      const StructField* f = find(type->fields, key);
      return f ? &f->type : nullptr;
    }
    return &kUnchecked;  // `any`, or an object: no check reads inside
  }

  // Whether `"${inner}"` may be written `inner` where `type` is expected.
  bool unwraps(const Expr& inner, const Type* type) {
    // A list or a map written out has its items checked one by one (each may take text), a
    // value computed otherwise only as a whole.
    if (inner.kind == K::List || inner.kind == K::Map) return type && !may_take_text(*type);
    if (type && type->kind != Type::Kind::String) return true;
    return !guess_.may_be_scalar(inner);
  }

  bool names_a_thing(const std::string& text, const Type& type, bool bare_words) const {
    if (!is_identifier(text) || names_.bound(text)) return false;
    switch (type.kind) {
      case Type::Kind::Cluster: return names_.clusters.count(text) && !names_.steps.count(text);
      case Type::Kind::Step: return names_.steps.count(text) > 0;
      case Type::Kind::Enum:
        return bare_words && !names_.steps.count(text) && !names_.clusters.count(text) &&
               std::count(type.enum_values.begin(), type.enum_values.end(), text);
      default: return false;
    }
  }

  Names names_;
  ScalarGuess guess_;
  std::map<std::string, const Template*> templates_;
};

}  // namespace

void use_ferry_idioms(File* file, const std::vector<File>& modules) { Rewriter(*file, modules).file(*file); }

}  // namespace ferry::dsl
