// Value types of params, template parameters and step fields, and the check that a compiled
// value has the type a field wants (coercing where both surfaces need it: "30s" to a duration,
// "pause" to a step reference in TOML).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dsl/symbolic.h"

namespace ferry::dsl {

using json = nlohmann::json;

struct StructField;

struct Type {
  enum class Kind {
    Any,
    String,
    Int,
    Bool,
    Duration,  // "1h30m"; normalized to its canonical spelling
    List,      // of elem[0]
    Map,       // string keys to elem[0]
    Enum,      // one of enum_values
    Cluster,   // the name of a declared cluster
    Step,      // a reference to a step (or a group of steps, for `after`)
    Object,    // any JSON object (a Kubernetes object body, a patch)
    Struct,    // a map with known fields (retry, backoff, a step's own fields)
  };

  Kind kind = Kind::Any;
  std::vector<Type> elem;
  std::vector<std::string> enum_values;
  std::vector<StructField> fields;

  // The spelling used in plans and docs: "list(string)", "enum(\"a\", \"b\")".
  std::string str() const;
};

struct StructField {
  std::string name;
  Type type;
  bool required = false;
  json default_value;  // null: no default
  std::string doc;
};

// Parses a type as written in the schema table and plans ("list(string)", "enum(a,b)").
// std::nullopt for an unknown type name.
std::optional<Type> parse_type(const std::string& spelling);

// Builders for the schema table.
Type list_of(Type elem);
Type map_of(Type elem);
Type enum_of(std::vector<std::string> values);
Type struct_of(std::vector<StructField> fields);
Type scalar(Type::Kind kind);

// Durations: "1h30m", "90s", "250ms", "2d". Returns milliseconds, or std::nullopt if malformed.
std::optional<int64_t> parse_duration(const std::string& text);
// The canonical spelling of a duration: largest units first, no zero parts ("1m30s").
std::string format_duration(int64_t ms);

// "an int", "a string": the word with its indefinite article.
std::string with_article(const std::string& word);

// The JSON type name used in messages: "string", "int", "list", ...
std::string value_kind(const json& value);

}  // namespace ferry::dsl
