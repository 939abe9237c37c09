// Field-by-field changes between two JSON values: json::diff (RFC 6902) finds them, and the
// JSON pointers it reports are rewritten into the plan's own terms (maps by key, lists by index).
#pragma once

#include <string>
#include <vector>

#include "engine/diff/plan_diff.h"

namespace ferry::diff {

// The changes that turn `old_value` into `new_value`, in path order (list items by index).
// An item added at the end of a list gets its index, not RFC 6902's "-".
std::vector<FieldChange> field_changes(const json& old_value, const json& new_value);

// One path segment: `.name` for a plain key, `["app.kubernetes.io/name"]` for any other key.
std::string key_segment(const std::string& key);

}  // namespace ferry::diff
