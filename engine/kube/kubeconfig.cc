#include "engine/kube/kubeconfig.h"

#include <fstream>
#include <sstream>
#include <vector>

namespace ferry::engine::kube {
namespace {

// The values of every `KEY: value` line (any indent, `- ` list items included), unquoted.
std::vector<std::string> values_of(const std::string& text, const std::string& key) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    size_t at = line.find_first_not_of(" \t-");
    if (at == std::string::npos || line.compare(at, key.size() + 1, key + ":") != 0) continue;
    std::string v = line.substr(at + key.size() + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) v.pop_back();
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
    out.push_back(v);
  }
  return out;
}

}  // namespace

Status check_kubeconfig(const std::string& path, const std::string& context) {
  std::ifstream in(path);
  if (!in) return Status::Invalid("cannot read the kubeconfig " + path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string yaml = text.str();
  bool server = false;
  for (const std::string& v : values_of(yaml, "server")) server |= !v.empty();
  if (!server) return Status::Invalid("the kubeconfig " + path + " names no cluster server (no `server:`)");
  std::string use = context;
  if (use.empty()) {
    for (const std::string& v : values_of(yaml, "current-context")) use = v;
    if (use.empty()) {
      return Status::Invalid("the kubeconfig " + path +
                             " has no current-context; set one, or give the cluster a `context`");
    }
  }
  for (const std::string& v : values_of(yaml, "name")) {
    if (v == use) return Status::Ok();
  }
  return Status::Invalid("the kubeconfig " + path + " has no context named '" + use + "'");
}

}  // namespace ferry::engine::kube
