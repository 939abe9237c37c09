// Errors found while compiling a plan. Every check reports here instead of stopping, so a user
// sees all of a plan's problems at once; each prints ninja-style as
// `file:line:col: error: message`, the source line, and a caret under the spot.
#pragma once

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "dsl/source.h"

namespace ferry::dsl {

struct Note {
  Span span;
  std::string message;
};

struct Diagnostic {
  Span span;
  std::string message;
  std::vector<Note> notes;  // printed after the error, each with its own location
};

class Diagnostics {
 public:
  // Records an error. The same message at the same place is kept once (a template used ten
  // times with a bad parameter type is one mistake).
  Diagnostic& error(Span span, std::string message);
  bool empty() const { return errors_.empty(); }
  size_t size() const { return errors_.size(); }
  const std::vector<Diagnostic>& all() const { return errors_; }

  // Every error, in the order found, each with its source line and caret.
  std::string render() const;

 private:
  std::vector<Diagnostic> errors_;
  std::set<std::tuple<const SourceFile*, uint32_t, uint32_t, std::string>> seen_;
  Diagnostic discarded_;
};

// The source line of `span` and a caret under its column ("" when the span points nowhere).
std::string render_source_line(const Span& span);

}  // namespace ferry::dsl
