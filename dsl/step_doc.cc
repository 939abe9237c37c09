#include "dsl/step_doc.h"

#include <algorithm>

namespace ferry::dsl {
namespace {

using K = Type::Kind;

// A value of `type` in .ferry syntax, named after `field` where a name helps ("<namespace>").
std::string placeholder(const Type& type, const std::string& field) {
  switch (type.kind) {
    case K::Int: return "1";
    case K::Bool: return "true";
    case K::Duration: return "\"5m\"";
    case K::Enum: return "\"" + type.enum_values.at(0) + "\"";
    case K::List: return "[" + placeholder(type.elem.at(0), field) + "]";
    case K::Map: return "{ key = " + placeholder(type.elem.at(0), field) + " }";
    case K::Object: return "{}";
    case K::Cluster: return kExampleCluster;
    case K::Struct: {
      std::string out = "{";
      for (const StructField& f : type.fields) {
        if (f.required) out += " " + f.name + " = " + placeholder(f.type, f.name);
      }
      return out + " }";
    }
    case K::Step:  // no step type has a field of its own that names a step: `after` is common
    case K::String:
    case K::Any: return "\"<" + field + ">\"";
  }
  return "\"<" + field + ">\"";
}

}  // namespace

std::string destructive_text(const StepSchema& schema) {
  if (!schema.destructive) return "";
  return schema.name == "scale" ? "at 0 replicas" : "yes";  // as is_destructive (step_rules.h) decides
}

std::string default_text(const StructField& field) {
  return field.default_value.is_null() ? "" : field.default_value.dump();
}

const std::vector<StructField>* sub_fields(const Type& type) {
  if (type.kind == K::Struct) return &type.fields;
  if (type.kind == K::List && type.elem.at(0).kind == K::Struct) return &type.elem[0].fields;
  return nullptr;
}

const StructField* find_step_field(const StepSchema& schema, const std::string& name) {
  for (const auto* fields : {&schema.fields, &common_step_fields()}) {
    auto it = std::find_if(fields->begin(), fields->end(), [&](const StructField& f) { return f.name == name; });
    if (it != fields->end()) return &*it;
  }
  return nullptr;
}

std::string example_step(const StepSchema& schema) {
  std::vector<std::string> set;
  for (const StructField& f : schema.fields) {
    if (f.required) set.push_back(f.name);
  }
  for (const auto& group : schema.exactly_one_of) set.push_back(group.at(0));
  std::string out = "step my_" + schema.name + " = " + schema.name + " {\n";
  if (schema.needs_cluster) out += std::string("  cluster = ") + kExampleCluster + "\n";
  // In the schema's order, as `ferry explain` lists the fields.
  for (const StructField& f : schema.fields) {
    if (std::find(set.begin(), set.end(), f.name) != set.end()) {
      out += "  " + f.name + " = " + placeholder(f.type, f.name) + "\n";
    }
  }
  return out + "}\n";
}

std::string example_plan(const StepSchema& schema) {
  std::string step = example_step(schema);
  std::string indented;
  for (size_t start = 0; start < step.size();) {
    size_t end = step.find('\n', start);
    indented += "    " + step.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return "plan \"example\" {\n  cluster " + std::string(kExampleCluster) +
         " {\n    kubeconfig = \"/dev/null\"\n  }\n\n  phase main {\n" + indented + "  }\n}\n";
}

}  // namespace ferry::dsl
