#include "engine/run/saved_plan.h"

#include <fstream>
#include <sstream>

#include "dsl/utf8.h"

namespace ferry::engine {

using json = nlohmann::json;

SavedPlanText saved_plan_text(const dsl::Ir& ir, const std::string& source) {
  json ir_json = dsl::ir_to_json(ir, {.spans = false});
  std::string hash = dsl::canonical_text_hash(ir_json.dump(2) + "\n");
  json j = {{"ferry_saved_plan", kSavedPlanVersion},
            {"plan", ir.plan},
            {"ir_hash", hash},
            {"source", dsl::to_valid_utf8(source)},  // a path: bytes, which JSON cannot hold
            {"ir", std::move(ir_json)}};
  return {hash, j.dump(2) + "\n"};
}

bool is_saved_plan(const std::string& path) {
  if (path.ends_with(".ferry") || path.ends_with(".toml")) return false;
  std::ifstream in(path);
  char c = 0;
  while (in.get(c) && std::isspace(static_cast<unsigned char>(c))) {
  }
  return in && (c == '{' || c == '[');
}

std::pair<std::string, std::string> short_hashes(const std::string& a, const std::string& b) {
  size_t n = 12;
  while (n < a.size() && n < b.size() && a.compare(0, n, b, 0, n) == 0) ++n;
  return {a.substr(0, n), b.substr(0, n)};
}

std::optional<dsl::Ir> read_saved_plan(const std::string& path, std::string* error, std::string* hash_out,
                                       SavedPlanProblem* problem) {
  std::ifstream in(path);
  if (!in) {
    if (problem) *problem = SavedPlanProblem::kUnreadable;
    *error = "cannot read the saved plan " + path;
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_saved_plan(text.str(), path, error, hash_out, problem);
}

std::optional<dsl::Ir> parse_saved_plan(const std::string& text, const std::string& path, std::string* error,
                                        std::string* hash_out, SavedPlanProblem* problem) {
  SavedPlanProblem ignored;
  if (!problem) problem = &ignored;
  *problem = SavedPlanProblem::kNone;
  auto fail = [&](SavedPlanProblem p, const std::string& message) {
    *problem = p;
    *error = message;
    return std::nullopt;
  };
  dsl::SourceFile source(path, text);
  dsl::Diagnostics diags;
  if (const dsl::Diagnostic* bad = dsl::check_utf8(source, &diags, /*how_to_convert=*/false)) {
    return fail(SavedPlanProblem::kDamaged, bad->span.str() + ": a damaged saved plan: " + bad->message);
  }
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    return fail(SavedPlanProblem::kDamaged, path + " is a damaged saved plan: not whole JSON (cut short?)");
  }
  if (!j.is_object() || !j.contains("ferry_saved_plan") || !j.contains("ir")) {
    return fail(SavedPlanProblem::kDamaged, path + " is a damaged saved plan: JSON, but not a saved ferry plan");
  }
  if (j["ferry_saved_plan"] != kSavedPlanVersion) {
    return fail(SavedPlanProblem::kTooNew,
                path + " was saved by another version of ferry (format " + j["ferry_saved_plan"].dump() + ")");
  }
  auto ir = dsl::ir_from_json(j["ir"], error);
  if (!ir) return fail(SavedPlanProblem::kDamaged, path + " is a damaged saved plan: " + *error);
  std::string hash = dsl::ir_hash(*ir);
  std::string said = j.contains("ir_hash") && j["ir_hash"].is_string() ? j["ir_hash"].get<std::string>() : "";
  if (hash != said) {
    auto [is, says] = short_hashes(hash, said);
    return fail(SavedPlanProblem::kEdited, path + " was changed after it was saved (its IR hash is " + is +
                                               ", the file says " + says + ")");
  }
  if (hash_out) *hash_out = hash;
  return ir;
}

}  // namespace ferry::engine
