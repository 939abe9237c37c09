#include "dsl/types.h"

#include <cctype>

namespace ferry::dsl {

std::string Type::str() const {
  switch (kind) {
    case Kind::Any: return "any";
    case Kind::String: return "string";
    case Kind::Int: return "int";
    case Kind::Bool: return "bool";
    case Kind::Duration: return "duration";
    case Kind::List: return "list(" + elem[0].str() + ")";
    case Kind::Map: return "map(" + elem[0].str() + ")";
    case Kind::Cluster: return "cluster";
    case Kind::Step: return "step";
    case Kind::Object: return "object";
    case Kind::Struct: return "block";
    case Kind::Enum: {
      std::string out = "enum(";
      for (size_t i = 0; i < enum_values.size(); ++i) out += (i ? ", \"" : "\"") + enum_values[i] + "\"";
      return out + ")";
    }
  }
  return "any";
}

Type scalar(Type::Kind kind) {
  Type t;
  t.kind = kind;
  return t;
}

Type list_of(Type elem) {
  Type t = scalar(Type::Kind::List);
  t.elem.push_back(std::move(elem));
  return t;
}

Type map_of(Type elem) {
  Type t = scalar(Type::Kind::Map);
  t.elem.push_back(std::move(elem));
  return t;
}

Type enum_of(std::vector<std::string> values) {
  Type t = scalar(Type::Kind::Enum);
  t.enum_values = std::move(values);
  return t;
}

Type struct_of(std::vector<StructField> fields) {
  Type t = scalar(Type::Kind::Struct);
  t.fields = std::move(fields);
  return t;
}

std::optional<Type> parse_type(const std::string& spelling) {
  static const std::vector<std::pair<std::string, Type::Kind>> scalars = {
      {"any", Type::Kind::Any},           {"string", Type::Kind::String}, {"int", Type::Kind::Int},
      {"bool", Type::Kind::Bool},         {"duration", Type::Kind::Duration},
      {"cluster", Type::Kind::Cluster},   {"step", Type::Kind::Step},     {"object", Type::Kind::Object}};
  for (const auto& [name, kind] : scalars) {
    if (spelling == name) return scalar(kind);
  }
  auto inner = [&](const std::string& prefix) -> std::optional<std::string> {
    if (spelling.size() > prefix.size() + 2 && spelling.compare(0, prefix.size() + 1, prefix + "(") == 0 &&
        spelling.back() == ')') {
      return spelling.substr(prefix.size() + 1, spelling.size() - prefix.size() - 2);
    }
    return std::nullopt;
  };
  if (auto e = inner("list")) {
    auto elem = parse_type(*e);
    return elem ? std::optional(list_of(*elem)) : std::nullopt;
  }
  if (auto e = inner("map")) {
    auto elem = parse_type(*e);
    return elem ? std::optional(map_of(*elem)) : std::nullopt;
  }
  if (auto e = inner("enum")) {
    std::vector<std::string> values;
    std::string current;
    for (char c : *e + ",") {
      if (c == ',') {
        values.push_back(current);
        current.clear();
      } else if (c != ' ' && c != '"') {
        current += c;
      }
    }
    return enum_of(std::move(values));
  }
  return std::nullopt;
}

std::optional<int64_t> parse_duration(const std::string& text) {
  static const std::vector<std::pair<std::string, int64_t>> units = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    int64_t number = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      number = number * 10 + (text[i++] - '0');
      if (number > 1'000'000'000) return std::nullopt;
    }
    size_t unit_begin = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = text.substr(unit_begin, i - unit_begin);
    bool known = false;
    for (const auto& [name, scale] : units) {
      if (unit == name) {
        total += number * scale;
        known = true;
      }
    }
    if (!known) return std::nullopt;
  }
  return total;
}

std::string format_duration(int64_t ms) {
  if (ms == 0) return "0s";
  static const std::vector<std::pair<std::string, int64_t>> units = {
      {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}};
  std::string out;
  for (const auto& [name, scale] : units) {
    if (ms >= scale) {
      out += std::to_string(ms / scale) + name;
      ms %= scale;
    }
  }
  return out;
}

std::string with_article(const std::string& word) {
  bool vowel = !word.empty() && std::string("aeiou").find(word[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + word;
}

std::string value_kind(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "int";
    case json::value_t::number_float: return "float";
    case json::value_t::string: return "string";
    case json::value_t::array: return "list";
    case json::value_t::object: return is_symbolic(value) ? "run-time value" : "map";
    default: return "value";
  }
}

}  // namespace ferry::dsl
