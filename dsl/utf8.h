// The one UTF-8 rule for what ferry reads. The IR and everything ferry writes (saved plans,
// journals, --output json) are JSON, which holds only UTF-8, so text is checked where it comes in:
//   - files and values a user gives (plans, modules, vars files, --var, env(), file(), saved
//     plans) are rejected at the first ill-formed byte, with its file:line:col;
//   - what ferry only passes on (a command's output) has each ill-formed byte replaced by U+FFFD.
// Well-formed means as in Unicode's table 3-7: no overlong forms, no surrogates, nothing past
// U+10FFFF.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "dsl/diagnostics.h"
#include "dsl/source.h"
#include "dsl/types.h"

namespace ferry::dsl {

// The byte offset of the first byte of `text` that does not start a well-formed sequence, or
// std::string_view::npos when all of it is well-formed.
size_t invalid_utf8_at(std::string_view text);

// Checks a value that has no file (an environment variable, a --var): "" when it is well-formed,
// else what is wrong, for a message: "is not valid UTF-8 (byte 0xe9 at position 4)".
std::string utf8_problem(std::string_view value);

// Reports the first ill-formed byte of `file` to `diags` at its line:col, and returns that error
// (for a note to be added); nullptr when the file is well-formed. The message says how to convert
// the file, unless `how_to_convert` is false (a file ferry wrote, as a saved plan: its caller
// says what to do).
Diagnostic* check_utf8(const SourceFile& file, Diagnostics* diags, bool how_to_convert = true);

// `text` with every byte that does not belong to a well-formed sequence replaced by U+FFFD.
std::string to_valid_utf8(std::string_view text);

// The same for every string (and object key) inside `value`, in place.
void make_valid_utf8(json* value);

}  // namespace ferry::dsl
