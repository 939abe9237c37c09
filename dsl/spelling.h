// "did you mean" suggestions for misspelled names, by edit distance (as ninja's spellcheck).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry::dsl {

// Levenshtein distance between `a` and `b`, or `limit + 1` once it is known to exceed `limit`.
size_t edit_distance(std::string_view a, std::string_view b, size_t limit);

// The candidate closest to `word` if it is close enough to be a likely typo, else "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// "; did you mean 'x'?" for the closest candidate, or "" when none is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// At most this many names are listed whole after an unknown one (more would not be read).
inline constexpr size_t kListedNamesAtMost = 12;
// " (LABEL: a, b, c)" when there are a few names (none, or more than kListedNamesAtMost: ""):
// after an unknown name, what it could have been, so a first plan needs no trip to the docs.
std::string listed_names(std::string_view label, const std::vector<std::string>& names);

}  // namespace ferry::dsl
