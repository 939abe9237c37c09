// Reads a TOML plan or module into the same AST as a .ferry file (see docs/language.md,
// "The TOML form"). toml++ keeps every node's source position, so errors point into the TOML.
#pragma once

#include <optional>

#include "dsl/ast.h"
#include "dsl/diagnostics.h"

namespace ferry::dsl {

std::optional<File> load_toml(const SourceFile& source, Diagnostics* diags);

}  // namespace ferry::dsl
