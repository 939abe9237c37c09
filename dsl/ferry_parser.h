// Reads a .ferry file into the AST.
#pragma once

#include <optional>

#include "dsl/ast.h"
#include "dsl/diagnostics.h"

namespace ferry::dsl {

// Parses `source`. A syntax error stops the parse of that file (one per file, reported with its
// position and what was expected); std::nullopt then. Errors found while building the AST
// (a bad integer, a qualified name where none is allowed) are reported too.
std::optional<File> parse_ferry(const SourceFile& source, Diagnostics* diags);

// Parses the text of a TOML string value: literal text with `${...}` interpolations, as a
// String expression (which, when it is one interpolation and nothing else, evaluates to that
// value itself: `"${etcd_pods}"` is the list). `at` is where the string starts in `source`.
// `positions[i]` is where byte i of `text` stands in `source` (TOML unescaped the text, so
// offsets alone cannot say), with one more entry for the end.
std::optional<Expr> parse_interpolated(const SourceFile& source, std::string_view text, Span at,
                                       const std::vector<Span>& positions, Diagnostics* diags);

}  // namespace ferry::dsl
