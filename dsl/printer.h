// Prints an AST back out: as canonical .ferry (`ferry fmt`) or as TOML (`ferry convert`).
// Both keep the meaning exactly, so the output compiles to the same IR as the input.
#pragma once

#include <string>

#include "dsl/ast.h"

namespace ferry::dsl {

// Canonical .ferry: fixed declaration order, two-space indent, comments kept. Idempotent.
std::string print_ferry(const File& file);
// An expression in .ferry syntax, with the fewest parentheses that keep its meaning.
std::string print_expr(const Expr& expr);
// The TOML form: declarations and fields in the order of the AST, comments kept where the TOML
// loader reads them back (toml_comments.h). Idempotent too.
std::string print_toml(const File& file);

}  // namespace ferry::dsl
