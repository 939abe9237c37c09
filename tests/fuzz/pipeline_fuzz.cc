// libFuzzer target for the whole front end: .ferry text through the compiler (modules from
// stdlib/, params, templates, loops, the DAG) to the IR, then the IR's JSON as `check --emit ir`,
// `plan -out` and the run directory write it. Properties: no crash, no exception (a JSON dump
// that throws on a string that is not UTF-8 is one), no sanitizer report; and what a saved plan
// promises: the IR read back from its JSON has the same hash, so `apply FILE` accepts it.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "dsl/compiler.h"
#include "dsl/ir.h"
#include "dsl/vars_file.h"

#if !defined(FERRY_STDLIB_DIR) || !defined(FERRY_PLANS_DIR)
#error "FERRY_STDLIB_DIR and FERRY_PLANS_DIR must name the stdlib and plans directories"
#endif

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "\n==== pipeline_fuzz: %s: %s\n", what, detail.c_str());
  __builtin_trap();
}

// One directory per fuzzing process for the plan file (the compiler reads plans from disk).
const std::string& plan_path() {
  static const std::string path = [] {
    char dir[] = "/tmp/ferry-pipeline-fuzz-XXXXXX";
    if (!mkdtemp(dir)) std::abort();
    return std::string(dir) + "/fuzz.ferry";
  }();
  return path;
}

// plans/example.env, so the stock plans (and inputs grown from them) find their variables.
const std::map<std::string, std::string>& example_vars() {
  static const std::map<std::string, std::string> vars = [] {
    std::ifstream in(std::string(FERRY_PLANS_DIR) + "/example.env", std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    ferry::dsl::SourceFile file("example.env", text.str());
    std::vector<ferry::dsl::VarsFileEntry> entries;
    ferry::dsl::Diagnostics diags;
    auto home = [](std::string_view name) -> std::optional<std::string> {
      if (name == "HOME") return "/home/fuzz";
      if (name == "USER") return "fuzz";
      return std::nullopt;
    };
    ferry::dsl::parse_vars_file(file, home, &entries, &diags);
    std::map<std::string, std::string> out;
    for (const auto& e : entries) out[e.name] = e.value;
    return out;
  }();
  return vars;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry::dsl;
  {
    std::ofstream out(plan_path(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  CompileOptions options;
  options.module_path = {FERRY_STDLIB_DIR};
  options.environment = [](std::string_view name) -> std::optional<std::string> {
    if (name == "HOME") return "/home/fuzz";
    if (name == "LATIN1") return "caf\xE9";  // env("LATIN1") must be an error, not an abort
    return std::nullopt;
  };
  options.vars = example_vars();
  SourceSet sources;
  Diagnostics diags;
  auto ir = compile_plan(plan_path(), options, &sources, &diags);
  diags.render();
  if (!ir) return 0;
  std::string with_spans = ir_to_json(*ir).dump(2);  // check --emit ir
  std::string hash = ir_hash(*ir);                    // plan -out, the journal header
  std::string error;
  auto back = ir_from_json(json::parse(ir_canonical_text(*ir)), &error);
  if (!back) fail("the IR's JSON does not read back", error);
  if (ir_hash(*back) != hash) fail("the IR read back has another hash", ir_canonical_text(*ir));
  return 0;
}
