// TOML comments, which toml++ does not keep: found again in the file's text and placed on the
// AST the file loads into, so `ferry convert --to ferry` carries them over. The rule, as
// docs/language.md §23 states it: a comment is kept before the declaration or field it
// precedes, and at the end of the line it ends.
#pragma once

#include <vector>

#include "dsl/ast.h"

namespace ferry::dsl {

// A key of a declaration's table that has no node of its own in the AST (`id`, `type`, `name`,
// `default`, a template's `[template.param.P]`...): comments around it go with the declaration
// whose span is `owner`.
struct HeadKey {
  Span at;
  Span owner;
};

// Places every comment of `source` on `file`, which was loaded from it. Each anchor (a
// declaration's table header, a field's key, a head key) takes:
// - the comments on the lines before it, back to the previous anchor, as leading comments;
// - a comment at the end of its line: the trailing comment of a field or of a declaration
//   printed on one line (use, param, let, a template instance); for a block (the plan, a
//   cluster, template, phase, step, `for`, `when`) a leading one, since in .ferry that line
//   ends with its `{`. A comment at the end of a line that goes on a value begun on an earlier
//   line is that value's field's.
// Comments after the last anchor close the plan. None is dropped.
void place_toml_comments(const SourceFile& source, const std::vector<HeadKey>& heads, File* file);

}  // namespace ferry::dsl
