#include "dsl/diagnostics.h"

namespace ferry::dsl {

Diagnostic& Diagnostics::error(Span span, std::string message) {
  if (!seen_.emplace(span.file, span.line, span.col, message).second) {
    discarded_ = Diagnostic{};
    return discarded_;
  }
  errors_.push_back(Diagnostic{span, std::move(message), {}});
  return errors_.back();
}

std::string render_source_line(const Span& span) {
  if (!span.valid()) return "";
  std::string_view line = span.file->line(span.line);
  std::string out(line);
  out += '\n';
  // Keep tabs in the caret line so the caret lines up under tab-indented source.
  for (uint32_t i = 1; i < span.col && i - 1 < line.size(); ++i) out += line[i - 1] == '\t' ? '\t' : ' ';
  out += "^\n";
  return out;
}

std::string Diagnostics::render() const {
  std::string out;
  for (const Diagnostic& d : errors_) {
    // An error about the command line rather than a file has no location to show.
    out += (d.span.valid() ? d.span.str() + ": " : std::string()) + "error: " + d.message + "\n";
    out += render_source_line(d.span);
    for (const Note& n : d.notes) out += n.span.str() + ": note: " + n.message + "\n";
  }
  return out;
}

}  // namespace ferry::dsl
