// libFuzzer target for kubectl's JSONPath templates evaluated in ferry (engine/kube/jsonpath.h):
// the template a plan's wait or assert step gives, run over an object as the API server sends
// it. The input is TEMPLATE, then a NUL byte and the object's JSON (a fixed object when there
// is no NUL or the JSON does not parse). Properties: no crash, no exception, no sanitizer
// report, no time or memory beyond the limits; an error leaves no output; a run that succeeds
// prints no more than its limit, the same text every time, and the same text when run again
// from the template parsed anew.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/kube/jsonpath.h"

namespace {

using ferry::engine::Status;
using ferry::engine::kube::JsonPath;
using ferry::engine::kube::JsonPathLimits;
using json = nlohmann::json;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "\n==== jsonpath_fuzz: %s: %s\n", what, detail.c_str());
  __builtin_trap();
}

const json& sample() {
  static const json s = json::parse(R"({
    "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
    "items": [
      {"metadata": {"name": "a", "annotations": {"x.io/y": "1", "html": "<&>"}},
       "spec": {"n": 3, "f": 1.5, "b": true, "z": null, "l": [1, "two", [3], {"k": "v"}], "e": []},
       "status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "X", "status": "False"}]}},
      {"metadata": {"name": "b"}, "spec": {"n": 18446744073709551615, "f": -0.0, "l": []}},
      null
    ]})");
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view text = input.substr(0, nul);
  json object = sample();
  if (nul != std::string_view::npos) {
    json given = json::parse(input.substr(nul + 1), nullptr, false);
    if (!given.is_discarded()) object = std::move(given);
  }

  JsonPath path;
  if (!JsonPath::Parse(text, &path).ok()) return 0;
  // Small limits, so that a run that would be long ends within the fuzzer's timeout.
  JsonPathLimits limits;
  limits.max_output = 1 << 16;
  limits.max_steps = 200'000;
  limits.max_depth = 50;
  std::string out = "before";
  const Status s = path.execute(object, &out, limits);
  if (!s.ok()) {
    if (!out.empty()) fail("an error left output", s.ToString());
    return 0;
  }
  if (out.size() > limits.max_output) fail("more output than the limit", std::to_string(out.size()));
  std::string again;
  if (Status t = path.execute(object, &again, limits); !t.ok() || again != out) fail("a second run differs", t.ToString());
  JsonPath reparsed;
  if (!JsonPath::Parse(text, &reparsed).ok()) fail("the template parses once only", std::string(text));
  if (Status t = reparsed.execute(object, &again, limits); !t.ok() || again != out) {
    fail("the same template parsed again runs otherwise", t.ToString());
  }
  return 0;
}
