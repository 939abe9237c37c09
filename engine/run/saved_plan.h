// A reviewed plan saved to a file (`ferry plan -out FILE`), and the copy every run directory
// keeps: the compiled IR, its hash, and where it came from. `apply FILE`, `resume` and
// `rollback` run exactly this IR, and refuse one whose hash does not match (an edited file).
// Secret values are never saved; they are given again when the plan runs.
#pragma once

#include <optional>
#include <string>

#include "dsl/ir.h"

namespace ferry::engine {

inline constexpr int kSavedPlanVersion = 1;

struct SavedPlanText {
  std::string hash;  // dsl::ir_hash of the plan
  std::string text;  // the file
};
// Serializes the IR once for both.
SavedPlanText saved_plan_text(const dsl::Ir& ir, const std::string& source);
// True if `path` looks like a saved plan (JSON with a "ferry_saved_plan" key) rather than a
// .ferry/.toml source.
bool is_saved_plan(const std::string& path);
// Reads and verifies a saved plan, and gives its hash; *error says what is wrong (unreadable,
// edited, too new).
std::optional<dsl::Ir> read_saved_plan(const std::string& path, std::string* error, std::string* hash = nullptr);
// The same from the file's text (`path` only names it in errors). Text that is not UTF-8 is an
// error at its path:line:col.
std::optional<dsl::Ir> parse_saved_plan(const std::string& text, const std::string& path, std::string* error,
                                        std::string* hash = nullptr);

}  // namespace ferry::engine
