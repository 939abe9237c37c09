#include "dsl/ir.h"

#include <openssl/evp.h>

#include "dsl/step_types.h"

namespace ferry::dsl {
namespace {

void put_span(json& out, const Span& span, const IrJsonOptions& options) {
  if (options.spans && span.valid()) out["span"] = span.str();
}

void put_if(json& out, const char* key, const std::string& value) {
  if (!value.empty()) out[key] = value;
}

json step_to_json(const IrStep& step, const IrJsonOptions& options) {
  json out = {{"type", step.type},
              {"phase", step.phase},
              {"args", step_args(step)},
              {"deps", step.deps},
              {"rollback", std::string(rollback_mode_name(step.rollback))},
              {"retry", step.retry.get()}};
  put_if(out, "cluster", step.cluster);
  if (!step.after.empty()) out["after"] = step.after;
  if (!step.when.is_null()) out["when"] = step.when;
  put_if(out, "timeout", step.timeout);
  put_if(out, "description", step.description);
  put_if(out, "pool", step.pool);
  if (!step.holds.empty()) out["holds"] = step.holds;  // absent when none: a plan without holds keeps its hash
  put_if(out, "template", step.template_name);
  put_if(out, "scope", step.scope);  // absent when none: a plan without scopes keeps its hash
  if (!step.rollback_steps.empty()) {
    json steps = json::object();
    for (const IrStep& s : step.rollback_steps) steps[s.id] = step_to_json(s, options);
    out["rollback_steps"] = steps;
  }
  put_span(out, step.span, options);
  return out;
}

}  // namespace

json step_args(const IrStep& step) {
  json args = step.args;
  const StepSchema* schema = find_step_schema(step.type);
  if (!schema || !args.is_object()) return args;
  auto& object = args.get_ref<json::object_t&>();
  for (const StructField& f : schema->fields) {
    if (!f.default_value.is_null()) object.try_emplace(f.name, f.default_value);
  }
  return args;
}

const IrStep* Ir::find(const std::string& id) const {
  auto it = steps.find(id);
  return it == steps.end() ? nullptr : &it->second;
}

json ir_to_json(const Ir& ir, const IrJsonOptions& options) {
  json out = {{"ferry_ir", kIrVersion}, {"plan", ir.plan}, {"on_failure", std::string(on_failure_name(ir.on_failure))},
              {"retry", ir.retry}};
  put_if(out, "description", ir.description);
  put_if(out, "timeout", ir.timeout);
  if (!ir.pools.empty()) out["pools"] = ir.pools;  // only when set: a plan without keeps its hash
  out["modules"] = ir.modules;

  json params = json::object();
  for (const auto& [name, p] : ir.params) {
    json j = {{"type", p.type}, {"secret", p.secret}, {"value", p.value}};
    if (!p.default_value.is_null()) j["default"] = p.default_value;
    put_span(j, p.span, options);
    params[name] = j;
  }
  out["params"] = params;

  json clusters = json::object();
  for (const auto& [name, c] : ir.clusters) {
    json j = c.fields;
    put_span(j, c.span, options);
    clusters[name] = j;
  }
  out["clusters"] = clusters;

  json phases = json::array();
  for (const IrPhase& phase : ir.phases) {
    json j = {{"name", phase.name}, {"steps", phase.steps}};
    put_if(j, "description", phase.description);
    put_if(j, "on_failure", std::string(on_failure_name(phase.on_failure)));
    put_span(j, phase.span, options);
    phases.push_back(j);
  }
  out["phases"] = phases;

  json steps = json::object();
  for (const auto& [id, step] : ir.steps) steps[id] = step_to_json(step, options);
  out["steps"] = steps;
  return out;
}

std::string ir_canonical_text(const Ir& ir) { return ir_to_json(ir, {.spans = false}).dump(2) + "\n"; }

std::string ir_hash(const Ir& ir) { return canonical_text_hash(ir_canonical_text(ir)); }

std::string canonical_text_hash(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

}  // namespace ferry::dsl
