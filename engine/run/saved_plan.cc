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
  std::ifstream in(path);
  char c = 0;
  while (in.get(c) && std::isspace(static_cast<unsigned char>(c))) {
  }
  if (c != '{') return false;
  std::stringstream text;
  text << c << in.rdbuf();
  json j = json::parse(text.str(), nullptr, false);
  return j.is_object() && j.contains("ferry_saved_plan");
}

std::optional<dsl::Ir> read_saved_plan(const std::string& path, std::string* error, std::string* hash_out) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read the saved plan " + path;
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_saved_plan(text.str(), path, error, hash_out);
}

std::optional<dsl::Ir> parse_saved_plan(const std::string& text, const std::string& path, std::string* error,
                                        std::string* hash_out) {
  dsl::SourceFile source(path, text);
  dsl::Diagnostics diags;
  if (const dsl::Diagnostic* bad = dsl::check_utf8(source, &diags)) {
    *error = bad->span.str() + ": " + bad->message;
    return std::nullopt;
  }
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("ferry_saved_plan") || !j.contains("ir")) {
    *error = path + " is not a saved ferry plan";
    return std::nullopt;
  }
  if (j["ferry_saved_plan"] != kSavedPlanVersion) {
    *error = path + " was saved by another version of ferry (format " + j["ferry_saved_plan"].dump() + ")";
    return std::nullopt;
  }
  auto ir = dsl::ir_from_json(j["ir"], error);
  if (!ir) {
    *error = path + ": " + *error;
    return std::nullopt;
  }
  std::string hash = dsl::ir_hash(*ir);
  std::string saved_hash = j["ir_hash"].is_string() ? j["ir_hash"].get<std::string>() : "";
  if (hash != saved_hash) {
    *error = path + " was changed after it was saved (its IR hash is " + hash.substr(0, 12) + ", the file says " +
             saved_hash.substr(0, 12) + "); run `ferry plan -out` again and review it";
    return std::nullopt;
  }
  if (hash_out) *hash_out = hash;
  return ir;
}

}  // namespace ferry::engine
