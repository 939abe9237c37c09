#include "engine/cli/args.h"

#include <algorithm>

#include "dsl/spelling.h"

namespace ferry::cli {

std::string Args::get(const std::string& name, const std::string& fallback) const {
  auto it = options.find(name);
  return it == options.end() || it->second.empty() ? fallback : it->second.back();
}

std::optional<Args> parse_args(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs,
                               std::string* error) {
  Args args;
  bool options_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      args.positionals.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (auto eq = arg.find('='); eq != std::string::npos && arg.starts_with("--")) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    auto spec = std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& s) { return s.name == name; });
    if (spec == specs.end()) {
      std::vector<std::string> names;
      for (const OptionSpec& s : specs) names.push_back(s.name);
      *error = "unknown option '" + name + "'" + dsl::did_you_mean(name, names);
      return std::nullopt;
    }
    if (!spec->takes_value) {
      if (inline_value) {
        *error = "option '" + name + "' takes no value";
        return std::nullopt;
      }
      args.options[name].push_back("");
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= argv.size()) {
        *error = "option '" + name + "' needs a value (" + spec->value_name + ")";
        return std::nullopt;
      }
      inline_value = argv[++i];
    }
    args.options[name].push_back(*inline_value);
  }
  return args;
}

}  // namespace ferry::cli
