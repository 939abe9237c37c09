// libFuzzer target for the TOML surface: toml++ and dsl/toml_loader.cc to the AST, then both
// printers (`ferry fmt` and `ferry convert` of a .toml plan). Properties: no crash, no
// exception, no sanitizer report; an input that loads without errors prints as both surfaces.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dsl/diagnostics.h"
#include "dsl/printer.h"
#include "dsl/source.h"
#include "dsl/toml_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry::dsl;
  SourceFile source("fuzz.toml", std::string(reinterpret_cast<const char*>(data), size));
  Diagnostics diags;
  auto file = load_toml(source, &diags);
  diags.render();
  if (!file || !diags.empty()) return 0;
  print_toml(*file);
  print_ferry(*file);
  return 0;
}
