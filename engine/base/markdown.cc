#include "engine/base/markdown.h"

#include <algorithm>

namespace ferry::engine {
namespace {

size_t longest_backtick_run(std::string_view text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

}  // namespace

std::string markdown_code(std::string_view text) {
  size_t run = longest_backtick_run(text);
  std::string fence(run + 1, '`');
  std::string pad = run ? " " : "";
  return fence + pad + std::string(text) + pad + fence;
}

std::string markdown_table_code(std::string_view text) {
  std::string escaped;
  for (char c : text) escaped += c == '|' ? std::string("\\|") : std::string(1, c);
  return markdown_code(escaped);
}

std::string markdown_block(std::string_view text, std::string_view lang) {
  std::string fence(std::max<size_t>(3, longest_backtick_run(text) + 1), '`');
  std::string body(text);
  if (!body.empty() && body.back() != '\n') body += '\n';
  return fence + std::string(lang) + "\n" + body + fence + "\n";
}

}  // namespace ferry::engine
