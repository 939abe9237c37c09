// One concrete thing a step does, as the dry run shows it: a command ferry runs (argv, never
// through a shell) or an HTTP request it sends. A step renders the actions a run would take;
// the dry run prints them and a real run logs them, both through the Redactor.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ferry::engine {

struct Action {
  std::vector<std::string> argv;  // a command, e.g. {"kubectl", "--kubeconfig", "...", "scale", ...}
  std::string method;             // or an HTTP request: "PUT"
  std::string url;
  std::string input;              // what goes on stdin or in the body, summarized ("the object as JSON")
  std::string note;               // anything else worth saying ("waits for a human")

  // A copy-pasteable line: the argv quoted for sh, or "PUT https://...".
  std::string text() const;
  nlohmann::json to_json() const;
};

// `arg` quoted for a POSIX shell if it needs it.
std::string shell_quote(const std::string& arg);

}  // namespace ferry::engine
