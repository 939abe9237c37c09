#include "engine/kube/kubeconfig.h"

#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

namespace ferry::engine::kube {
namespace {

using json = nlohmann::json;

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
  // JSON is YAML too, and a kubeconfig may be written as JSON: the same keys, read as JSON.
  std::map<std::string, std::vector<std::string>> json_values;
  if (json j = json::parse(yaml, nullptr, false); j.is_object()) {
    for (const json& c : j.value("clusters", json::array())) {
      if (c.is_object() && c.contains("cluster") && c["cluster"].is_object()) {
        json server = c["cluster"].value("server", json(""));
        json_values["server"].push_back(server.is_string() ? server.get<std::string>() : "");
      }
    }
    if (j.contains("current-context") && j["current-context"].is_string()) {
      json_values["current-context"].push_back(j["current-context"].get<std::string>());
    }
    for (const json& c : j.value("contexts", json::array())) {
      if (c.is_object() && c.contains("name") && c["name"].is_string()) json_values["name"].push_back(c["name"]);
    }
  }
  auto values = [&](const std::string& key) {
    return json_values.empty() ? values_of(yaml, key) : json_values[key];
  };
  bool server = false;
  for (const std::string& v : values("server")) server |= !v.empty();
  if (!server) return Status::Invalid("the kubeconfig " + path + " names no cluster server (no `server:`)");
  std::string use = context;
  if (use.empty()) {
    for (const std::string& v : values("current-context")) use = v;
    if (use.empty()) {
      return Status::Invalid("the kubeconfig " + path +
                             " has no current-context; set one, or give the cluster a `context`");
    }
  }
  for (const std::string& v : values("name")) {
    if (v == use) return Status::Ok();
  }
  return Status::Invalid("the kubeconfig " + path + " has no context named '" + use + "'");
}

}  // namespace ferry::engine::kube
