// What the dry run's text, Markdown and JSON reports share, so all three say the same thing.
#pragma once

#include <string>

#include "engine/run/dry_run.h"

namespace ferry::engine {

// "automatic (restores what the step changed)", "runs undo_a, undo_b" or "none".
std::string rollback_words(const PlannedStep& p);

struct Totals {
  size_t steps = 0, destructive = 0, with_rollback = 0, approvals = 0, unplannable = 0;
  size_t scopes = 0;  // failure scopes (isolated instances) the steps are in
};

// ", 2 failure scopes" for the reports' totals; "" for a plan without scopes, whose reports
// read as they did before scopes existed.
std::string scopes_words(const Totals& t);

Totals totals_of(const PlanReport& r);

// The IR hash as the reports show it: its first 12 hex digits.
std::string short_hash(const std::string& h);

}  // namespace ferry::engine
