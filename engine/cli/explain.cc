// `ferry explain [TYPE[.FIELD]]`: the schema registry on the command line (as `kubectl explain`),
// so writing a step needs no trip to docs/steps.md. Everything shown comes from dsl/step_types.cc,
// the words for it from dsl/step_doc.h.
#include <algorithm>
#include <iostream>
#include <sstream>

#include "dsl/spelling.h"
#include "dsl/step_doc.h"
#include "engine/cli/command.h"
#include "engine/cli/text.h"

namespace ferry::cli {
namespace {

using dsl::json;
using dsl::StepSchema;
using dsl::StructField;

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

std::vector<std::string> names_of(const std::vector<StructField>& fields) {
  std::vector<std::string> out;
  for (const StructField& f : fields) out.push_back(f.name);
  return out;
}

// "(int, required)", "(duration, default \"5m\")".
std::string field_head(const StructField& f) {
  std::string head = "(" + f.type.str();
  if (f.required) head += ", required";
  if (!f.default_value.is_null()) head += ", default " + dsl::default_text(f);
  return head + ")";
}

void print_fields(const std::vector<StructField>& fields, const std::string& indent, std::ostream& out) {
  for (const StructField& f : fields) {
    out << indent << f.name << " " << field_head(f) << "\n" << wrapped(f.doc, indent + "    ");
  }
}

json field_json(const StructField& f) {
  json j = {{"name", f.name}, {"type", f.type.str()}, {"required", f.required}, {"description", f.doc}};
  if (!f.default_value.is_null()) j["default"] = f.default_value;
  if (const auto* sub = dsl::sub_fields(f.type)) {
    j["fields"] = json::array();
    for (const StructField& s : *sub) j["fields"].push_back(field_json(s));
  }
  return j;
}

// The groups of `schema` (exactly one of, at most one of) that name `field`, or all of them
// when `field` is "".
std::vector<std::string> constraints(const StepSchema& schema, const std::string& field) {
  std::vector<std::string> out;
  auto add = [&](const std::vector<std::vector<std::string>>& groups, const std::string& words) {
    for (const auto& group : groups) {
      if (field.empty() || std::find(group.begin(), group.end(), field) != group.end()) {
        out.push_back(words + joined(group));
      }
    }
  };
  add(schema.exactly_one_of, "exactly one of: ");
  add(schema.at_most_one_of, "at most one of: ");
  return out;
}

int list_types(bool as_json) {
  if (as_json) {
    json types = json::array();
    for (const StepSchema& s : dsl::step_schemas()) types.push_back({{"name", s.name}, {"summary", s.summary}});
    std::cout << json{{"step_types", types}}.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "step types (`ferry explain TYPE` describes one, `ferry explain TYPE.FIELD` one of its fields):\n";
  for (const StepSchema& s : dsl::step_schemas()) {
    std::cout << "  " << s.name << std::string(s.name.size() < 12 ? 12 - s.name.size() : 1, ' ') << s.summary << "\n";
  }
  return kExitOk;
}

int explain_type(const StepSchema& s, bool as_json) {
  std::vector<std::string> common = names_of(dsl::common_step_fields());
  if (as_json) {
    json fields = json::array(), outputs = json::array();
    for (const StructField& f : s.fields) fields.push_back(field_json(f));
    for (const dsl::OutputSchema& o : s.outputs) {
      outputs.push_back({{"name", o.name}, {"type", o.type.str()}, {"description", o.doc}, {"secret", o.secret},
                         {"default", o.name == s.default_output}});
    }
    json j = {{"name", s.name},
               {"summary", s.summary},
               {"needs_cluster", s.needs_cluster},
               {"idempotent", s.idempotent},
               {"has_inverse", s.has_inverse},
               {"destructive", s.destructive},
               {"fields", fields},
               {"common_fields", common},
               {"exactly_one_of", s.exactly_one_of},
               {"at_most_one_of", s.at_most_one_of},
               {"outputs", outputs},
               {"example", dsl::example_step(s)}};
    // Destructive only in some cases (scale: at 0 replicas): which.
    if (std::string when = dsl::destructive_text(s); when != "yes" && !when.empty()) j["destructive_when"] = when;
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::ostringstream out;
  out << s.name << ": " << s.summary << "\n\n";
  out << "  needs a cluster  " << (s.needs_cluster ? "yes: `cluster` is required" : "no") << "\n";
  out << "  idempotent       "
      << (s.idempotent ? "yes: a resumed run simply runs a half-done attempt again"
                       : "no: a resumed run asks (--rerun or --assume-done) about a half-done attempt")
      << "\n";
  out << "  rollback = auto  "
      << (s.has_inverse ? "yes: its automatic inverse undoes it when the run rolls back"
                        : "no automatic inverse: write a rollback block, or `rollback = none`")
      << "\n";
  std::string destructive = dsl::destructive_text(s);
  out << "  destructive      " << (destructive.empty() ? "no" : destructive) << "\n";
  out << "\nfields:\n";
  if (s.fields.empty()) out << "  none of its own\n";
  print_fields(s.fields, "  ", out);
  for (const std::string& c : constraints(s, "")) out << "  " << c << "\n";
  out << wrapped("and every step's: " + joined(common), "  ");
  out << "\noutputs:\n";
  if (s.outputs.empty()) out << "  none\n";
  for (const dsl::OutputSchema& o : s.outputs) {
    out << "  " << o.name << " (" << o.type.str() << (o.secret ? ", secret: shown as <redacted>" : "")
        << (o.name == s.default_output ? ", the default: what `from = STEP` means" : "") << ")\n"
        << wrapped(o.doc, "      ");
  }
  out << "\nexample:\n";
  std::istringstream example(dsl::example_step(s));
  for (std::string line; std::getline(example, line);) out << "  " << line << "\n";
  std::cout << out.str();
  return kExitOk;
}

int explain_field(const StepSchema& s, const std::vector<std::string>& path, bool as_json) {
  // The first name is the step's own field or a common one; each next one is inside a block.
  const StructField* field = dsl::find_step_field(s, path[0]);
  std::string where = s.name;
  std::vector<std::string> candidates = names_of(s.fields);
  std::string listed = dsl::listed_names("its own fields", candidates);
  for (const std::string& name : names_of(dsl::common_step_fields())) candidates.push_back(name);
  for (size_t i = 0;; ++i) {
    if (!field) {
      std::cerr << "ferry explain: error: " << (i == 0 ? "step type '" : "'") << where << "' has no field '"
                << path[i] << "'" << dsl::did_you_mean(path[i], candidates) << listed << "\n";
      return kExitUsage;
    }
    where += "." + field->name;
    if (i + 1 == path.size()) break;
    const auto* inner = dsl::sub_fields(field->type);
    if (!inner) {
      std::cerr << "ferry explain: error: '" << where << "' is " << dsl::with_article(field->type.str())
                << ", which has no fields\n";
      return kExitUsage;
    }
    candidates = names_of(*inner);
    listed = dsl::listed_names("its fields", candidates);
    auto it = std::find_if(inner->begin(), inner->end(), [&](const StructField& f) { return f.name == path[i + 1]; });
    field = it == inner->end() ? nullptr : &*it;
  }
  std::vector<std::string> groups = path.size() == 1 ? constraints(s, field->name) : std::vector<std::string>{};
  if (as_json) {
    json j = field_json(*field);
    j["path"] = where;
    j["constraints"] = groups;
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::ostringstream out;
  out << where << " " << field_head(*field) << "\n" << wrapped(field->doc, "    ");
  for (const std::string& g : groups) out << "    " << g << "\n";
  if (const auto* inner = dsl::sub_fields(field->type)) {
    out << "\nfields:\n";
    print_fields(*inner, "  ", out);
  }
  std::cout << out.str();
  return kExitOk;
}

int run_explain(const Args& args) {
  bool as_json = args.get("--output") == "json";
  if (args.positionals.empty()) return list_types(as_json);
  const std::string& what = args.positionals[0];
  std::vector<std::string> path;
  for (size_t start = 0;;) {
    size_t dot = what.find('.', start);
    path.push_back(what.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (const std::string& part : path) {
    if (part.empty()) {
      std::cerr << "ferry explain: error: '" << what << "' is not TYPE or TYPE.FIELD (an empty name)\n";
      return kExitUsage;
    }
  }
  const StepSchema* schema = dsl::find_step_schema(path[0]);
  if (!schema) {
    std::cerr << "ferry explain: error: unknown step type '" << path[0] << "'"
              << dsl::did_you_mean(path[0], dsl::step_type_names()) << "\nRun 'ferry explain' for the list.\n";
    return kExitUsage;
  }
  if (path.size() == 1) return explain_type(*schema, as_json);
  return explain_field(*schema, std::vector<std::string>(path.begin() + 1, path.end()), as_json);
}

}  // namespace

Command explain_command() {
  Command c{"explain",
            "describe a step type or one of its fields, from the schema registry",
            "ferry explain [TYPE[.FIELD[.FIELD]...]] [--output json]",
            "Without TYPE, lists the step types. With TYPE, describes it: its fields (type, default, whether\n"
            "required), which of them go together, its outputs, whether it is idempotent and destructive,\n"
            "whether it has an automatic inverse (`rollback = auto`), and an example step. With\n"
            "TYPE.FIELD, that field alone (a block's fields too, e.g. `ferry explain scale.retry`).\n"
            "docs/steps.md is the same reference.",
            {{"--output", true, "text (default) or json", "FORMAT"}},
            run_explain};
  c.min_positionals = 0;
  c.exit_0 = "the type or field was described";
  c.operands = Operands::kWords;
  c.operand_words = dsl::step_type_names();
  return c;
}

}  // namespace ferry::cli
