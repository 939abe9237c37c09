// Command-line arguments of one subcommand: positionals and --options, checked against what
// the subcommand accepts so a typo is a usage error with a suggestion, not silently ignored.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ferry::cli {

struct OptionSpec {
  std::string name;       // "--var"
  bool takes_value;
  std::string help;       // one line for --help
  std::string value_name = "VALUE";
};

struct Args {
  std::vector<std::string> positionals;
  std::map<std::string, std::vector<std::string>> options;  // every value given, in order

  bool has(const std::string& name) const { return options.count(name) != 0; }
  // The last value given for `name`, or `fallback`.
  std::string get(const std::string& name, const std::string& fallback = "") const;
};

// Parses argv[first..]. `--name=value` and `--name value` both work; `--` ends options.
// On a usage error returns std::nullopt with the message in `*error`.
std::optional<Args> parse_args(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs,
                               std::string* error);

}  // namespace ferry::cli
