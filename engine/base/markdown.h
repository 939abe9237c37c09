// Markdown that survives what it quotes, for the reports meant for pull-request comments (`ferry
// plan --output markdown`, `ferry diff --output markdown`): a value with backticks, a `|` in a
// table, a `<` in a summary line must not end the code span, the cell or the tag early.
#pragma once

#include <string>
#include <string_view>

namespace ferry::engine {

// `text` as an inline code span, fenced with one more backtick than its longest run of them
// (and then padded with a space each side, so a backtick at its edge is not read as the fence).
std::string markdown_code(std::string_view text);

// The same inside a table cell, where `|` ends the cell even in a code span unless escaped.
std::string markdown_table_code(std::string_view text);

// `text` as a fenced code block of language `lang` (may be ""), its fence longer than any run of
// backticks in it; ends with a newline.
std::string markdown_block(std::string_view text, std::string_view lang);

}  // namespace ferry::engine
