// A reviewed plan saved to a file (`ferry plan -out FILE`), and the copy every run directory
// keeps: the compiled IR, its hash, and where it came from. `apply FILE`, `resume` and
// `rollback` run exactly this IR, and refuse one whose hash does not match (an edited file).
// Secret values are never saved; they are given again when the plan runs.
#pragma once

#include <optional>
#include <utility>
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
// True if `path` is meant as a saved plan rather than a .ferry/.toml source: not named .ferry
// or .toml, and JSON-looking (its first character is `{` or `[`), whole or damaged.
bool is_saved_plan(const std::string& path);

enum class SavedPlanProblem { kNone, kUnreadable, kDamaged, kTooNew, kEdited };
// Reads and verifies a saved plan, and gives its hash; *error says what is wrong (unreadable,
// damaged, too new, edited) without advice, which depends on where the file is (a reviewed plan,
// or a run directory's plan.json): the caller adds it, knowing *problem.
std::optional<dsl::Ir> read_saved_plan(const std::string& path, std::string* error, std::string* hash = nullptr,
                                       SavedPlanProblem* problem = nullptr);
// The same from the file's text (`path` only names it in errors). Text that is not UTF-8 is a
// damaged plan, the error at its path:line:col.
std::optional<dsl::Ir> parse_saved_plan(const std::string& text, const std::string& path, std::string* error,
                                        std::string* hash = nullptr, SavedPlanProblem* problem = nullptr);

// The two hashes cut to the shortest length (at least 12) at which they differ, for messages:
// prefixes that look equal would say nothing.
std::pair<std::string, std::string> short_hashes(const std::string& a, const std::string& b);

}  // namespace ferry::engine
