// The parse tree of a kubectl JSONPath template, as client-go's util/jsonpath/node.go has it
// (one struct for every node type, the fields each type uses). Shared by the parser
// (jsonpath_parse.cc) and the evaluator (jsonpath.cc); nothing else uses it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"

namespace ferry::engine::kube::jsonpath {

enum class NodeType { kText, kArray, kList, kField, kIdentifier, kFilter, kInt, kFloat, kWildcard, kRecursive, kUnion, kBool };

// node.go ParamsEntry: one of an array node's start, end and step.
struct ParamsEntry {
  int64_t value = 0;
  bool known = false;    // given in the template
  bool derived = false;  // the end of `[n]`: n+1
};

struct Node {
  NodeType type = NodeType::kList;
  std::string text;          // kText: the text; kField: the key; kIdentifier: the name; kFilter: the operator
  int64_t int_value = 0;     // kInt (Go's int)
  double float_value = 0;    // kFloat
  bool bool_value = false;   // kBool
  ParamsEntry params[3];     // kArray: start, end, step
  std::vector<Node> nodes;   // kList: its nodes; kUnion: one kList each; kFilter: the left and right kLists
};

// parser.go Parse: the root kList (text nodes and one kList per `{...}`), or an error where
// kubectl's parser refuses `text` (with the byte offset it had reached). A few templates kubectl
// takes are refused too, as not worth being sure of: a rune above ASCII where the parser asks
// unicode.IsLetter or IsDigit, a number that under- or overflows, an identifier inside a filter,
// and sub-expressions nested more than a few levels.
Status parse(std::string_view text, Node* root);

}  // namespace ferry::engine::kube::jsonpath
