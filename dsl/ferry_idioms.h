// A plan read from TOML, rewritten into the forms a person writes in .ferry, for
// `ferry convert --to ferry`. TOML has no expressions and no bare names, so a TOML plan says
// `in = "${etcd_pods}"` and `cluster = "source"` where .ferry says `in etcd_pods` and
// `cluster = source`. Each rewrite is made only where it keeps what the plan compiles to:
// - a string that is one interpolation and nothing else, `"${x}"`, becomes `x`, unless the
//   value may be an int or a bool where a string is expected: there `"${x}"` is x's text and
//   `x` would be an error (docs/language.md §4);
// - a string in a place whose type reads it as a name becomes that bare name: a declared
//   cluster where a cluster is expected, a step where a step is (`after = [pause]`), and an
//   enum value in a step field or a setting (`on_failure = rollback`), where bare enum words
//   are allowed. Never a name a param, let, loop variable or template parameter holds (the
//   bare name would be its value), nor an enum word that is also a step or a cluster.
// A place's type comes from the step schemas, the settings, and the parameters of the plan's
// own templates and of the modules' (`modules`, as far as they could be read). A template the
// rewrite cannot find gives its arguments no type: they are rewritten only where any type
// would give the same result.
#pragma once

#include <vector>

#include "dsl/ast.h"

namespace ferry::dsl {

void use_ferry_idioms(File* file, const std::vector<File>& modules);

}  // namespace ferry::dsl
