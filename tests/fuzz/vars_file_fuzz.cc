// libFuzzer target for the vars-file reader (dsl/vars_file.cc). Properties: no crash, no
// exception, no sanitizer report; every error points into the file; a file read without errors
// gives values that are UTF-8 (they become JSON strings in the IR) and entries whose spans
// point at their names.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "dsl/diagnostics.h"
#include "dsl/source.h"
#include "dsl/utf8.h"
#include "dsl/vars_file.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "\n==== vars_file_fuzz: %s: %s\n", what, detail.c_str());
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry::dsl;
  SourceFile file("fuzz.env", std::string(reinterpret_cast<const char*>(data), size));
  // A small fixed environment: HOME for `~`, one value that is not UTF-8.
  auto environment = [](std::string_view name) -> std::optional<std::string> {
    if (name == "HOME") return "/home/fuzz";
    if (name == "USER") return "fuzz";
    if (name == "LATIN1") return "caf\xE9";
    return std::nullopt;
  };
  std::vector<VarsFileEntry> entries;
  Diagnostics diags;
  bool ok = parse_vars_file(file, environment, &entries, &diags);
  if (ok != diags.empty()) fail("the result disagrees with the errors", diags.render());
  for (const Diagnostic& d : diags.all()) {
    if (!d.span.valid() || d.span.file != &file || d.span.line > file.line_count()) fail("an error points nowhere", d.message);
  }
  diags.render();
  if (!ok) return 0;
  for (const VarsFileEntry& e : entries) {
    if (invalid_utf8_at(e.value) != std::string_view::npos) fail("a value is not UTF-8", e.name);
    std::string_view line = file.line(e.span.line);
    if (e.span.col == 0 || e.span.col - 1 > line.size() || line.substr(e.span.col - 1, e.name.size()) != e.name) {
      fail("a span misses its name", e.name);
    }
  }
  return 0;
}
