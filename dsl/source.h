// Source files and positions: every diagnostic and every IR node points back to a
// `file:line:col` through a Span.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::dsl {

// The text of one plan or module file, kept alive for as long as anything points into it.
class SourceFile {
 public:
  SourceFile(std::string path, std::string text);

  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }
  // The text of line `line` (1-based) without its newline; empty past the end.
  std::string_view line(uint32_t line) const;
  uint32_t line_count() const { return static_cast<uint32_t>(line_starts_.size()); }
  // The byte offset of 1-based `line` and `col`, clamped to the text.
  size_t offset(uint32_t line, uint32_t col) const;

 private:
  std::string path_;
  std::string text_;
  std::vector<size_t> line_starts_;
};

// A position in a source file. Columns count bytes, 1-based, like PEGTL and compilers do.
struct Span {
  const SourceFile* file = nullptr;
  uint32_t line = 0;
  uint32_t col = 0;

  bool valid() const { return file != nullptr && line > 0; }
  // "path:line:col", or "<unknown>" for a span that points nowhere.
  std::string str() const;
};

// Owns every file read during one compilation, so Spans stay valid until it goes away.
class SourceSet {
 public:
  const SourceFile* add(std::string path, std::string text);

 private:
  std::vector<std::unique_ptr<SourceFile>> files_;
};

}  // namespace ferry::dsl
