#include "dsl/symbolic.h"

#include <cstdint>

#include "dsl/spelling.h"
#include "dsl/types.h"

namespace ferry::dsl {
namespace {

constexpr const char* kRef = "$ref";
constexpr const char* kOutput = "output";
constexpr const char* kSecret = "$secret";
constexpr const char* kConcat = "$concat";
constexpr const char* kOp = "$op";
constexpr const char* kArgs = "args";

// The member `key` of a symbolic value of kind `kind`, nullptr if `value` is none.
const json* member(const json& value, SymbolicKind kind, const char* key) {
  if (symbolic_kind(value) != kind) return nullptr;
  auto it = value.find(key);
  return it == value.end() ? nullptr : &*it;
}

const std::string* string_member(const json& value, SymbolicKind kind, const char* key) {
  const json* m = member(value, kind, key);
  return m && m->is_string() ? &m->get_ref<const std::string&>() : nullptr;
}

std::string kinds(const json& a, const json& b) {
  return with_article(value_kind(a)) + " and " + with_article(value_kind(b));
}

std::optional<json> fail(std::string* error, std::string message) {
  *error = std::move(message);
  return std::nullopt;
}

// `+` and `-` of two ints; std::nullopt (with *error) when the result does not fit in an int64.
std::optional<json> arithmetic(const std::string& op, int64_t a, int64_t b, std::string* error) {
  int64_t result = 0;
  bool overflow = op == "+" ? __builtin_add_overflow(a, b, &result) : __builtin_sub_overflow(a, b, &result);
  if (!overflow) return json(result);
  return fail(error,
              "integer overflow in '" + op + "' (" + std::to_string(a) + " " + op + " " + std::to_string(b) + ")");
}

std::optional<json> access(const json& base, const json& key, std::string* error) {
  if (base.is_array()) {
    if (!key.is_number_integer()) {
      return fail(error, "a list is indexed by an int, not " + with_article(value_kind(key)));
    }
    int64_t i = key.get<int64_t>();
    if (i < 0 || i >= static_cast<int64_t>(base.size())) {
      return fail(error, "index " + std::to_string(i) + " is out of range (the list has " +
                             std::to_string(base.size()) + " items)");
    }
    return base[i];
  }
  if (base.is_object()) {
    if (!key.is_string()) return fail(error, "a map is indexed by a string, not " + with_article(value_kind(key)));
    const std::string& name = key.get_ref<const std::string&>();
    auto it = base.find(name);
    if (it != base.end()) return *it;
    std::vector<std::string> keys;
    for (const auto& [k, v] : base.items()) keys.emplace_back(unescape_key(k));  // as the plan writes them
    return fail(error, "the map has no key '" + name + "'" + did_you_mean(name, keys));
  }
  return fail(error, "cannot index " + with_article(value_kind(base)));
}

}  // namespace

json make_ref(std::string step_id) {
  json ref(json::value_t::object);  // built directly: an initializer list would build (and copy) a pair array
  ref.emplace(kRef, std::move(step_id));
  return ref;
}

json make_output_ref(std::string step_id, json path) {
  json ref = make_ref(std::move(step_id));
  ref.emplace(kOutput, std::move(path));
  return ref;
}

json make_secret(std::string param) { return json{{kSecret, std::move(param)}}; }

json make_concat(std::vector<json> parts) {
  json out(json::value_t::object);
  out.emplace(kConcat, json(std::move(parts)));
  return out;
}

json make_op(std::string op, json args) { return json{{kOp, std::move(op)}, {kArgs, std::move(args)}}; }

void extend_ref(json& ref, json key) { ref[kOutput].push_back(std::move(key)); }

SymbolicKind symbolic_kind(const json& value) {
  if (!value.is_object() || value.empty()) return SymbolicKind::kNone;
  const std::string& key = value.begin().key();  // keys sort: "$..." comes before "args" and "output"
  if (key.empty() || key[0] != '$') return SymbolicKind::kNone;
  if (key == kRef) return SymbolicKind::kRef;
  if (key == kOp) return SymbolicKind::kOp;
  if (key == kConcat) return SymbolicKind::kConcat;
  if (key == kSecret) return SymbolicKind::kSecret;
  return SymbolicKind::kNone;
}

bool is_symbolic(const json& value) { return symbolic_kind(value) != SymbolicKind::kNone; }

bool contains_symbolic(const json& value) {
  if (is_symbolic(value)) return true;
  if (value.is_structured()) {
    for (const auto& item : value) {
      if (contains_symbolic(item)) return true;
    }
  }
  return false;
}

const std::string* ref_step(const json& value) { return string_member(value, SymbolicKind::kRef, kRef); }
const json* ref_output(const json& value) { return member(value, SymbolicKind::kRef, kOutput); }
bool is_step_ref(const json& value) { return ref_step(value) && !value.contains(kOutput); }
const std::string* secret_param(const json& value) { return string_member(value, SymbolicKind::kSecret, kSecret); }
const json* concat_parts(const json& value) { return member(value, SymbolicKind::kConcat, kConcat); }
const std::string* op_name(const json& value) { return string_member(value, SymbolicKind::kOp, kOp); }
const json* op_args(const json& value) { return member(value, SymbolicKind::kOp, kArgs); }

const json* operands(const json& value) {
  switch (symbolic_kind(value)) {
    case SymbolicKind::kConcat: return concat_parts(value);
    case SymbolicKind::kOp: return op_args(value);
    default: return nullptr;
  }
}

std::optional<json> eval_op(const std::string& op, const std::vector<json>& a, std::string* error) {
  auto arity = [&](size_t n) { return a.size() == n; };
  if ((op == "&&" || op == "||") && a.size() >= 2) {
    // A step's `when` under enclosing `when` blocks is one "&&" of all of them.
    bool result = op == "&&";
    for (const json& v : a) {
      if (!v.is_boolean()) return fail(error, "'" + op + "' needs bools, got " + with_article(value_kind(v)));
      result = op == "&&" ? result && v.get<bool>() : result || v.get<bool>();
    }
    return json(result);
  }
  if (op == "!" && arity(1)) {
    if (!a[0].is_boolean()) return fail(error, "'!' needs a bool, got " + value_kind(a[0]));
    return json(!a[0].get<bool>());
  }
  if (op == "-" && arity(1)) {
    if (!a[0].is_number_integer()) return fail(error, "'-' needs an int, got " + value_kind(a[0]));
    int64_t result = 0;
    if (!__builtin_sub_overflow(int64_t{0}, a[0].get<int64_t>(), &result)) return json(result);
    return fail(error, "integer overflow in '-' (-(" + std::to_string(a[0].get<int64_t>()) + "))");
  }
  if ((op == "==" || op == "!=") && arity(2)) return json((a[0] == a[1]) == (op == "=="));
  if ((op == "<" || op == "<=" || op == ">" || op == ">=") && arity(2)) {
    bool comparable = (a[0].is_number_integer() && a[1].is_number_integer()) || (a[0].is_string() && a[1].is_string());
    if (!comparable) return fail(error, "'" + op + "' compares two ints or two strings, not " + kinds(a[0], a[1]));
    if (op == "<") return json(a[0] < a[1]);
    if (op == "<=") return json(a[0] <= a[1]);
    if (op == ">") return json(a[0] > a[1]);
    return json(a[0] >= a[1]);
  }
  if ((op == "+" || op == "-") && arity(2)) {
    if (a[0].is_number_integer() && a[1].is_number_integer()) {
      return arithmetic(op, a[0].get<int64_t>(), a[1].get<int64_t>(), error);
    }
    if (op == "+" && a[0].is_string() && a[1].is_string()) {
      return json(a[0].get_ref<const std::string&>() + a[1].get_ref<const std::string&>());
    }
    if (op == "+" && a[0].is_array() && a[1].is_array()) {
      json out = a[0];
      out.insert(out.end(), a[1].begin(), a[1].end());
      return out;
    }
    const char* does = op == "+" ? "adds two ints, joins two strings or two lists" : "subtracts two ints";
    return fail(error, "'" + op + "' " + does + ", not " + kinds(a[0], a[1]));
  }
  if (op == "?:" && arity(3)) {
    if (!a[0].is_boolean()) return fail(error, "'?:' needs a bool condition, got " + value_kind(a[0]));
    return a[0].get<bool>() ? a[1] : a[2];
  }
  if (op == "len" && arity(1)) {
    if (a[0].is_string()) return json(a[0].get_ref<const std::string&>().size());
    if (a[0].is_structured()) return json(a[0].size());
    return fail(error, "len() needs a list, map or string, got " + value_kind(a[0]));
  }
  if (op == "join" && arity(2)) {
    if (!a[0].is_array()) return fail(error, "join() needs a list, got " + value_kind(a[0]));
    if (!a[1].is_string()) return fail(error, "join() needs a string separator, got " + value_kind(a[1]));
    std::string out;
    for (size_t i = 0; i < a[0].size(); ++i) {
      auto t = interpolation_text(a[0][i]);
      if (!t) return fail(error, "join() can only join strings, ints and bools");
      out += (i ? a[1].get_ref<const std::string&>() : "") + *t;
    }
    return json(out);
  }
  if (op == "int" && arity(1)) {
    if (a[0].is_number_integer()) return a[0];
    // JSON's number syntax, blanks around it allowed: a command's output ends with a newline.
    json parsed = a[0].is_string() ? json::parse(a[0].get_ref<const std::string&>(), nullptr, false) : json();
    // Above INT64_MAX JSON reads an unsigned, which the int operators would wrap.
    if (parsed.is_number_unsigned() && parsed.get<uint64_t>() > uint64_t{INT64_MAX}) {
      return fail(error, "int(): '" + a[0].get<std::string>() + "' is out of range (at most 9223372036854775807)");
    }
    if (parsed.is_number_integer()) return parsed;
    return fail(error, "int(): " + (a[0].is_string() ? "'" + a[0].get<std::string>() + "'" : value_kind(a[0])) +
                           " is not an integer");
  }
  if ((op == "field" || op == "index") && arity(2)) return access(a[0], a[1], error);
  return fail(error, "unknown operation '" + op + "' with " + std::to_string(a.size()) +
                         " operands (was the plan compiled by a newer ferry?)");
}

std::optional<std::string> interpolation_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (value.is_null()) return "";
  return std::nullopt;
}

std::string escape_key(std::string_view key) {
  std::string out;
  if (key.starts_with('$')) out += '$';
  out += key;
  return out;
}

std::string_view unescape_key(std::string_view key) {
  if (key.starts_with("$$")) key.remove_prefix(1);
  return key;
}

json escape_keys(const json& value) {
  if (value.is_array()) {
    json out = json::array();
    for (const json& item : value) out.push_back(escape_keys(item));
    return out;
  }
  if (!value.is_object()) return value;
  json out = json::object();
  for (const auto& [key, item] : value.items()) out[escape_key(key)] = escape_keys(item);
  return out;
}

}  // namespace ferry::dsl
