// The three faces of a PlanDiff: text for terminals, Markdown for pull-request comments and JSON
// for bots (its schema is documented in docs/diff.md and versioned by "ferry_diff").
#pragma once

#include <string>

#include "engine/diff/plan_diff.h"

namespace ferry::diff {

// 2: phases by name (`phases`, no longer in `plan`), and the dependents of added and removed steps.
inline constexpr int kDiffJsonVersion = 2;

struct RenderOptions {
  std::string old_label;  // how the two plans are named: a path, or REV:path
  std::string new_label;
  bool color = false;  // ANSI colors (text only)
};

std::string render_text(const PlanDiff& diff, const RenderOptions& options);
std::string render_markdown(const PlanDiff& diff, const RenderOptions& options);
json render_json(const PlanDiff& diff, const RenderOptions& options);

}  // namespace ferry::diff
