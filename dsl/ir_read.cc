// The IR read back from its canonical JSON: what a saved plan (`ferry plan -out`) and a run
// directory hold, so `apply`, `resume` and `rollback` run exactly the plan that was reviewed.
// Spans are not restored (a saved plan has no source files to point into).
#include "dsl/ir.h"

#include <cstdint>
#include <map>
#include <stdexcept>

namespace ferry::dsl {
namespace {

// A value the IR's types cannot hold: the plan is malformed (the message says where).
struct Malformed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string str(const json& j, const char* key) { return j.contains(key) ? j[key].get<std::string>() : ""; }

RollbackMode rollback_mode(const json& j, const std::string& where) {
  std::string name = str(j, "rollback");
  if (auto mode = rollback_mode_from_name(name)) return *mode;
  throw Malformed(where + " has rollback '" + name + "'; expected auto, none or steps");
}

// The text (kept as written, so the plan writes back with the same hash) and its milliseconds.
std::optional<int64_t> duration(const json& j, const char* key, std::string* text, const std::string& where) {
  *text = str(j, key);
  if (text->empty()) return std::nullopt;
  if (auto ms = parse_duration(*text)) return ms;
  throw Malformed(where + " has " + key + " '" + *text + "', which is not a duration");
}

OnFailure on_failure(const json& j, const std::string& where) {
  std::string name = str(j, "on_failure");
  if (auto mode = on_failure_from_name(name)) return *mode;
  throw Malformed(where + " has on_failure '" + name + "'; expected rollback or stop");
}

SharedRetry retry(const json& j, const std::string& where) {
  std::string error;
  if (auto policy = SharedRetry::parse(j.value("retry", json()), &error)) return *policy;
  throw Malformed(where + ": " + error);
}

// The plan's pool depths: each a whole number from 1.
std::map<std::string, int> pools(const json& j) {
  std::map<std::string, int> out;
  if (!j.contains("pools")) return out;
  if (!j["pools"].is_object()) throw Malformed("the plan has pools " + j["pools"].dump() + "; expected an object");
  for (const auto& [name, depth] : j["pools"].items()) {
    if (!depth.is_number_integer() || depth.get<int64_t>() < 1 || depth.get<int64_t>() > INT32_MAX) {
      throw Malformed("the plan has pool '" + name + "' of depth " + depth.dump() + "; expected a whole number from 1");
    }
    out[name] = depth.get<int>();
  }
  return out;
}

std::vector<std::string> strings(const json& j, const char* key) {
  return j.contains(key) ? j[key].get<std::vector<std::string>>() : std::vector<std::string>{};
}

// A step's failure scope is the id of the isolated instance that made it, so its id starts with
// the scope and a '.'.
std::string scope(const json& j, const std::string& id) {
  if (!j.contains("scope")) return "";
  if (!j["scope"].is_string() || j["scope"].get<std::string>().empty()) {
    throw Malformed("step '" + id + "' has scope " + j["scope"].dump() + "; expected the name of an instance");
  }
  std::string name = j["scope"].get<std::string>();
  if (!id.starts_with(name + ".")) {
    throw Malformed("step '" + id + "' has scope '" + name + "', which is not an instance it is part of (its id "
                    "would start with '" + name + ".')");
  }
  return name;
}

IrStep step_from_json(const std::string& id, const json& j) {
  IrStep s;
  s.id = id;
  s.type = str(j, "type");
  s.phase = str(j, "phase");
  s.cluster = str(j, "cluster");
  s.args = j.value("args", json::object());
  s.after = strings(j, "after");
  s.deps = strings(j, "deps");
  s.when = j.value("when", json());
  s.retry = retry(j, "step '" + id + "'");
  s.timeout_ms = duration(j, "timeout", &s.timeout, "step '" + id + "'");
  s.rollback = rollback_mode(j, "step '" + id + "'");
  s.description = str(j, "description");
  s.pool = str(j, "pool");
  s.holds = strings(j, "holds");
  s.template_name = str(j, "template");
  s.scope = scope(j, id);
  if (j.contains("rollback_steps")) {
    for (const auto& [rid, rj] : j["rollback_steps"].items()) s.rollback_steps.push_back(step_from_json(rid, rj));
  }
  return s;
}

}  // namespace

std::optional<Ir> ir_from_json(const json& j, std::string* error) {
  if (!j.is_object() || !j.contains("ferry_ir")) {
    *error = "not a compiled ferry plan (no \"ferry_ir\" key)";
    return std::nullopt;
  }
  if (j["ferry_ir"] != kIrVersion) {
    *error = "the plan was compiled for IR version " + j["ferry_ir"].dump() + "; this ferry reads version " +
             std::to_string(kIrVersion);
    return std::nullopt;
  }
  try {
    Ir ir;
    ir.plan = str(j, "plan");
    ir.description = str(j, "description");
    ir.on_failure = on_failure(j, "the plan");
    ir.timeout_ms = duration(j, "timeout", &ir.timeout, "the plan");
    ir.retry = retry(j, "the plan");
    ir.pools = pools(j);
    ir.modules = strings(j, "modules");
    for (const auto& [name, p] : j.at("params").items()) {
      ir.params[name] = IrParam{name, str(p, "type"), p.value("secret", false), p.value("default", json()),
                                p.value("value", json()), {}};
    }
    for (const auto& [name, c] : j.at("clusters").items()) {
      json fields = c;
      fields.erase("span");  // from an IR printed with spans (`ferry check --output json`): not a field
      ir.clusters[name] = IrCluster{name, std::move(fields), {}};
    }
    for (const json& p : j.at("phases")) {
      std::string name = str(p, "name");
      ir.phases.push_back(
          IrPhase{name, str(p, "description"), on_failure(p, "phase '" + name + "'"), strings(p, "steps"), {}});
    }
    for (const auto& [id, s] : j.at("steps").items()) ir.steps[id] = step_from_json(id, s);
    return ir;
  } catch (const json::exception& e) {
    *error = std::string("malformed plan: ") + e.what();
    return std::nullopt;
  } catch (const Malformed& e) {
    *error = std::string("malformed plan: ") + e.what();
    return std::nullopt;
  }
}

}  // namespace ferry::dsl
