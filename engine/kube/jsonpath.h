// kubectl's JSONPath templates (`kubectl get -o jsonpath=TEMPLATE`), evaluated in ferry with
// the output kubectl prints, byte for byte. Followed from the Go sources of kubectl 1.32:
// client-go util/jsonpath (parser.go, node.go, jsonpath.go), its forked text/template helpers
// (third_party/forked/golang/template: Indirect, PrintableValue, the comparisons), and
// cli-runtime printers/jsonpath.go, which runs the template with AllowMissingKeys(true) over
// the object's unstructured content (what apimachinery decoded from the API's JSON).
//
// Templates and objects may be anyone's: parsing and running never crash, and every run is
// bounded (JsonPathLimits). Where kubectl's own output could not be predicted with certainty
// (Go's map order, see execute), the answer is an error, and the caller runs kubectl.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/base/status.h"

namespace ferry::engine::kube {

namespace jsonpath {
struct Node;
}

// What one run may do before it stops with an error.
struct JsonPathLimits {
  size_t max_output = 64 << 20;  // bytes printed
  size_t max_steps = 4'000'000;  // values made and nodes walked, all told
  int max_depth = 100;           // ranges inside ranges; JSON nesting printed
};

class JsonPath {
 public:
  // A template as kubectl's parser reads it. An error (kInvalid, with the byte offset reached)
  // where kubectl refuses it, and for the few forms left to kubectl (jsonpath_node.h).
  static Status Parse(std::string_view text, JsonPath* out);

  // Runs the template over `object` (a JSON object as the API server sent it) into *out, as
  // kubectl's jsonpath printer prints it. Errors:
  //  - kInvalid where kubectl's run errs (an index out of range, a filter over a non-array,
  //    `end` without `range`, ...) or panics;
  //  - kFailed where this run cannot be sure of kubectl's output: kubectl visits a map's keys
  //    in Go's random order (`..`, `.*`) and the order shows in what is printed; or a limit
  //    was reached.
  // *out is empty after an error.
  Status execute(const nlohmann::json& object, std::string* out, const JsonPathLimits& limits = {}) const;

 private:
  std::shared_ptr<const jsonpath::Node> root_;
};

}  // namespace ferry::engine::kube
