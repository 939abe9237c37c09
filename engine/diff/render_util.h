// Wording shared by the text and Markdown renderers, so both say the same thing.
#pragma once

#include <string>
#include <vector>

#include "engine/diff/plan_diff.h"

namespace ferry::diff {

// A value as it reads in a change: compact JSON ("0", "\"true\"", "[\"a\",\"b\"]"), cut
// short past 160 characters.
std::string value_text(const json& value);
// "scale to 0" for a destructive scale, else the type.
std::string type_text(const std::string& type, bool destructive);
// "old → new", "added: new", "removed (was old)".
std::string change_text(const FieldChange& change);
// "scale, phase backup, from template hypershift.pause": what a listed step is.
std::string step_text(const StepRef& step);
// "7 steps now run after it" for an added step, "1 step no longer runs after it" for a removed
// one: its dependents (see StepRef); "" when it has none.
std::string dependents_text(const StepRef& step, bool added);
// A param or cluster as added or removed: "list(string) = [\"a\"]", or a cluster's fields.
std::string named_text(const NamedChange& change, bool is_param);
// "2 risks, 3 steps added, 1 changed, 4 params changed, ..." (only the non-zero counts).
std::string summary_text(const PlanDiff& diff);
// "hypershift.backup (7 steps), hypershift.teardown (4 steps)": the templates that made the
// added, removed, renamed and changed steps, so a change in a used module shows as one; "" if none.
std::string templates_text(const PlanDiff& diff);
// "a, b, c"
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

}  // namespace ferry::diff
