// Variables for `ferry check PLAN --vars-file FILE`, read from the shell env files users already
// keep for the published HyperShift procedure. Only the part of sh that such files use is
// understood, and nothing is ever run: command substitution is an error, not a shell call.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/diagnostics.h"
#include "dsl/source.h"

namespace ferry::dsl {

struct VarsFileEntry {
  std::string name;
  std::string value;
  Span span;  // span of the NAME
};

// Reads variables from a shell env file (`KEY=value` lines, as users keep for the published
// HyperShift procedure). `environment` answers for names the file has not defined (HOME, USER, ...).
// Appends one entry per assignment in file order (a later assignment of the same name is another
// entry; the caller takes the last). Returns false (and reports each problem to `diags` with its
// line:col) if any line is malformed; well-formed lines are still returned. A file that is not
// UTF-8, or that expands an environment value that is not, is an error too (dsl/utf8.h); for the
// former nothing is returned.
bool parse_vars_file(const SourceFile& file,
                     const std::function<std::optional<std::string>(std::string_view)>& environment,
                     std::vector<VarsFileEntry>* out, Diagnostics* diags);

}  // namespace ferry::dsl
