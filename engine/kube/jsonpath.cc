// The evaluator: client-go util/jsonpath/jsonpath.go (FindResults, walk and the eval*
// functions, PrintResults), with AllowMissingKeys(true) as kubectl's printer sets it. Each
// function keeps Go's quirks, including what it returns alongside an error (an `exists` filter
// looks only at whether that is empty).
//
// Go's reflect.Values are modelled by Value: a node of the object (Go's interface{} holding
// map[string]interface{}, []interface{}, string, int64, float64, bool or nil), a literal of the
// template (string, int, float64, bool), a byte of a string (what `.*` makes of one: uint8), or
// the zero Value (reflect.ValueOf(nil): what a range's body runs over when the range is empty).
//
// Go ranges over a map in a random order (`..` and `.*`). A value reached through a map of two
// or more keys is marked `unordered`; kubectl's output is only predicted when that order cannot
// show (see Printer below), else execute gives up and the caller runs kubectl.
#include "engine/kube/jsonpath.h"

#include <cmath>
#include <optional>
#include <vector>

#include "engine/kube/go_print.h"
#include "engine/kube/jsonpath_node.h"

namespace ferry::engine::kube {
namespace {

using json = nlohmann::json;
using jsonpath::Node;
using jsonpath::NodeType;
using jsonpath::ParamsEntry;

struct Value {
  enum class Kind : uint8_t { kInvalid, kData, kText, kInt, kFloat, kBool, kByte };
  Kind kind = Kind::kInvalid;
  // Its place among the values next to it depends on Go's map order.
  bool unordered = false;
  const json* data = nullptr;         // kData
  const std::string* text = nullptr;  // kText
  int64_t i = 0;                      // kInt, kByte; kBool: 0 or 1
  double f = 0;                       // kFloat

  static Value Data(const json* d, bool unordered) {
    Value v;
    v.kind = Kind::kData;
    v.data = d;
    v.unordered = unordered;
    return v;
  }
};
using Values = std::vector<Value>;

// The reflect.Kind jsonpath.go switches on, after template.Indirect (kNil: a nil interface{},
// a JSON null in the object). kOther: nothing Go's decoder makes (nlohmann's binary).
enum class GoKind { kInvalid, kNil, kMap, kSlice, kString, kInt, kUint, kFloat, kBool, kOther };

GoKind go_kind(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kInvalid: return GoKind::kInvalid;
    case Value::Kind::kText: return GoKind::kString;
    case Value::Kind::kInt: return GoKind::kInt;
    case Value::Kind::kFloat: return GoKind::kFloat;
    case Value::Kind::kBool: return GoKind::kBool;
    case Value::Kind::kByte: return GoKind::kUint;
    case Value::Kind::kData: break;
  }
  switch (v.data->type()) {
    case json::value_t::null: return GoKind::kNil;
    case json::value_t::object: return GoKind::kMap;
    case json::value_t::array: return GoKind::kSlice;
    case json::value_t::string: return GoKind::kString;
    case json::value_t::boolean: return GoKind::kBool;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return go::is_go_int(*v.data) ? GoKind::kInt : GoKind::kFloat;
    default: return GoKind::kOther;
  }
}

const std::string& string_of(const Value& v) {
  return v.kind == Value::Kind::kText ? *v.text : v.data->get_ref<const std::string&>();
}
int64_t int_of(const Value& v) { return v.kind == Value::Kind::kData ? go::go_int(*v.data) : v.i; }
double float_of(const Value& v) { return v.kind == Value::Kind::kData ? go::go_float(*v.data) : v.f; }
bool bool_of(const Value& v) { return v.kind == Value::Kind::kData ? v.data->get<bool>() : v.i != 0; }

bool any_unordered(const Values& vs) {
  for (const Value& v : vs) {
    if (v.unordered) return true;
  }
  return false;
}

// template/funcs.go basicKind.
enum class BasicKind { kBool, kInt, kFloat, kString, kUint };

class Executor {
 public:
  Executor(const Node& root, const JsonPathLimits& limits) : root_(root), limits_(limits) {}

  Status run(const json& object, std::string* out) {
    // kubectl runs the template over an object's map; reflect.ValueOf(nil) for a null one.
    const Value data = object.is_null() ? Value{} : Value::Data(&object, false);
    std::vector<Values> full;
    std::string err;
    if (!find_results(data, 0, 0, &full, &err)) {
      if (stopped()) return abort_;
      return Status::Invalid("jsonpath: error executing template: " + err);
    }
    std::string text;
    for (const Values& results : full) {
      if (!print_results(results, &text)) return abort_;
    }
    *out = std::move(text);
    return Status::Ok();
  }

 private:
  // Where kubectl's output cannot be predicted, or a limit is reached: everything stops.
  bool give_up(const std::string& why) {
    if (abort_.ok()) abort_ = Status::Failed("jsonpath: left to kubectl: " + why);
    return false;
  }
  bool stopped() const { return !abort_.ok(); }
  bool charge(size_t n) {
    steps_ += n;
    if (steps_ > limits_.max_steps) return give_up("more than " + std::to_string(limits_.max_steps) + " steps");
    return true;
  }
  // Go's error return: *out is what the Go function returns alongside it.
  static bool fail(Values* out, Values value, std::string* err, std::string message) {
    *out = std::move(value);
    *err = std::move(message);
    return false;
  }

  // jsonpath.go FindResults: the results of each top-level node over `data`, with `range` and
  // `end` as Go counts them (beginRange, inRange, endRange, lastEndNode).
  bool find_results(const Value& data, size_t from, int depth, std::vector<Values>* full, std::string* err) {
    if (depth > limits_.max_depth) return give_up("ranges nested more than " + std::to_string(limits_.max_depth) + " deep");
    const Values cur = {data};
    const std::vector<Node>& nodes = root_.nodes;
    for (size_t i = from; i < nodes.size(); ++i) {
      Values results;
      if (!walk(cur, nodes[i], &results, err)) return false;
      // an end node: the current block is over
      if (end_range_ > 0 && end_range_ <= in_range_) {
        --end_range_;
        last_end_ = i;
        break;
      }
      // a range node: the nodes after it, once per result
      if (begin_range_ > 0) {
        --begin_range_;
        ++in_range_;
        if (!results.empty()) {
          if (results.size() > 1 && any_unordered(results)) return give_up("a range over values in Go's map order");
          for (const Value& value : results) {
            // value.Interface(), then reflect.ValueOf again: a JSON null becomes the zero Value.
            if (value.kind == Value::Kind::kInvalid) return give_up("kubectl panics (Interface of a zero Value)");
            Value item = value;
            item.unordered = false;
            if (go_kind(item) == GoKind::kNil) item = Value{};
            if (!find_results(item, i + 1, depth + 1, full, err)) return false;
          }
        } else {
          // Still run through the body (so that its end is found), over nothing.
          std::vector<Values> ignored;
          if (!find_results(Value{}, i + 1, depth + 1, &ignored, err)) return false;
        }
        --in_range_;
        // Resume after the last end node met.
        for (size_t k = i + 1; k < nodes.size(); ++k) {
          if (last_end_ == k) {
            i = k;
            break;
          }
        }
        continue;
      }
      full->push_back(std::move(results));
    }
    return true;
  }

  // jsonpath.go walk.
  // Every walk is charged for the values it reads and makes, so that no template can loop
  // over a large input many times for free.
  bool walk(const Values& in, const Node& node, Values* out, std::string* err) {
    if (stopped() || !charge(1 + in.size())) return false;
    bool ok = true;
    switch (node.type) {
      case NodeType::kList: ok = eval_list(in, node, out, err); break;
      case NodeType::kText: {
        Value v;
        v.kind = Value::Kind::kText;
        v.text = &node.text;
        *out = {v};
        break;
      }
      case NodeType::kField: ok = eval_field(in, node, out); break;
      case NodeType::kArray: ok = eval_array(in, node, out, err); break;
      case NodeType::kFilter: ok = eval_filter(in, node, out, err); break;
      case NodeType::kInt:
      case NodeType::kFloat:
      case NodeType::kBool: {
        // evalInt, evalFloat, evalBool: the literal once per input value.
        Value v;
        v.kind = node.type == NodeType::kInt ? Value::Kind::kInt : node.type == NodeType::kFloat ? Value::Kind::kFloat : Value::Kind::kBool;
        v.i = node.type == NodeType::kInt ? node.int_value : node.bool_value ? 1 : 0;
        v.f = node.float_value;
        *out = Values(in.size(), v);
        break;
      }
      case NodeType::kWildcard: eval_wildcard(in, out); break;
      case NodeType::kRecursive: eval_recursive(in, out); break;
      case NodeType::kUnion: ok = eval_union(in, node, out, err); break;
      case NodeType::kIdentifier: ok = eval_identifier(in, node, out, err); break;
    }
    if (stopped() || !charge(out->size())) return false;
    return ok;
  }

  // evalList: each node over the results of the one before; on an error, what the failing
  // node returned.
  bool eval_list(const Values& in, const Node& list, Values* out, std::string* err) {
    Values cur = in;
    for (const Node& n : list.nodes) {
      Values next;
      const bool ok = walk(cur, n, &next, err);
      cur = std::move(next);
      if (!ok) {
        *out = std::move(cur);
        return false;
      }
    }
    *out = std::move(cur);
    return true;
  }

  // evalIdentifier: `range` and `end` count; anything else is an error.
  bool eval_identifier(const Values& in, const Node& node, Values* out, std::string* err) {
    if (node.text == "range") {
      ++begin_range_;
      *out = in;
      return true;
    }
    if (node.text == "end") {
      if (in_range_ > 0) {
        ++end_range_;
        out->clear();
        return true;
      }
      return fail(out, {}, err, "not in range, nothing to end");
    }
    return fail(out, in, err, "unrecognized identifier " + node.text);
  }

  // evalField: a map's key; nothing for a key it lacks (AllowMissingKeys), nil or a non-map.
  bool eval_field(const Values& in, const Node& node, Values* out) {
    out->clear();
    for (const Value& v : in) {
      if (go_kind(v) != GoKind::kMap) continue;
      const auto it = v.data->find(node.text);
      if (it != v.data->end()) out->push_back(Value::Data(&*it, v.unordered));
    }
    return true;
  }

  // evalArray: an index, a slice, `[*]`, with Go's bounds checks.
  bool eval_array(const Values& in, const Node& node, Values* out, std::string* err) {
    Values result;
    for (const Value& v : in) {
      const GoKind k = go_kind(v);
      if (k == GoKind::kInvalid) return give_up("kubectl panics (Type of a zero Value)");
      if (k == GoKind::kNil) continue;
      if (k != GoKind::kSlice) return fail(out, in, err, "value is not array or slice");
      const int64_t len = static_cast<int64_t>(v.data->size());
      ParamsEntry p[3] = {node.params[0], node.params[1], node.params[2]};
      if (!p[0].known) p[0].value = 0;
      if (p[0].value < 0) p[0].value += len;
      if (!p[1].known) p[1].value = len;
      if (p[1].value < 0 || (p[1].value == 0 && p[1].derived)) p[1].value += len;
      if (p[1].value != p[0].value) {
        if (p[0].value >= len || p[0].value < 0) {
          return fail(out, in, err, "array index out of bounds: index " + std::to_string(p[0].value) + ", length " + std::to_string(len));
        }
        if (p[1].value > len || p[1].value < 0) {
          return fail(out, in, err, "array index out of bounds: index " + std::to_string(p[1].value - 1) + ", length " + std::to_string(len));
        }
        if (p[0].value > p[1].value) {
          return fail(out, in, err, "starting index " + std::to_string(p[0].value) + " is greater than ending index " + std::to_string(p[1].value));
        }
      } else {
        // Zero elements asked for: Go returns what it has, without the values after this one.
        if (any_unordered(in)) return give_up("an empty slice over values in Go's map order");
        *out = std::move(result);
        return true;
      }
      int64_t step = 1;
      if (p[2].known) {
        if (p[2].value <= 0) return fail(out, in, err, "step must be > 0");
        step = p[2].value;
      }
      const int64_t count = p[1].value - p[0].value;
      if (!charge(static_cast<size_t>(count / step + 1))) return false;
      for (int64_t i = 0; i < count;) {
        result.push_back(Value::Data(&(*v.data)[static_cast<size_t>(p[0].value + i)], v.unordered));
        if (step >= count - i) break;
        i += step;
      }
    }
    *out = std::move(result);
    return true;
  }

  // evalUnion: each member over the same input, one after the other.
  bool eval_union(const Values& in, const Node& node, Values* out, std::string* err) {
    Values result;
    for (const Node& list : node.nodes) {
      Values temp;
      if (!eval_list(in, list, &temp, err)) return fail(out, in, err, *err);
      result.insert(result.end(), temp.begin(), temp.end());
    }
    *out = std::move(result);
    return true;
  }

  // The children evalWildcard and evalRecursive visit: a map's values, an array's elements, a
  // string's bytes (uint8).
  static void children(const Value& v, GoKind k, Values* out) {
    if (k == GoKind::kMap) {
      const bool unordered = v.unordered || v.data->size() > 1;
      for (const json& e : *v.data) out->push_back(Value::Data(&e, unordered));
    } else if (k == GoKind::kSlice) {
      for (const json& e : *v.data) out->push_back(Value::Data(&e, v.unordered));
    } else if (k == GoKind::kString) {
      for (char c : string_of(v)) {
        Value b;
        b.kind = Value::Kind::kByte;
        b.i = static_cast<unsigned char>(c);
        b.unordered = v.unordered;
        out->push_back(b);
      }
    }
  }

  // evalWildcard: every child of every input value.
  void eval_wildcard(const Values& in, Values* out) {
    out->clear();
    for (const Value& v : in) {
      const size_t before = out->size();
      children(v, go_kind(v), out);
      if (!charge(out->size() - before)) return;
    }
  }

  // evalRecursive: every value that has children, depth first, each before its children (Go
  // recurses; this keeps its own stack, so a deep object cannot exhaust the thread's).
  void eval_recursive(const Values& in, Values* out) {
    out->clear();
    for (const Value& top : in) {
      Values stack = {top};
      while (!stack.empty()) {
        const Value v = stack.back();
        stack.pop_back();
        const GoKind k = go_kind(v);
        if (k == GoKind::kString) {
          if (!string_of(v).empty()) out->push_back(v);  // its bytes have no children
          continue;
        }
        if ((k != GoKind::kMap && k != GoKind::kSlice) || v.data->empty()) continue;
        out->push_back(v);
        Values kids;
        children(v, k, &kids);
        if (!charge(kids.size())) return;
        stack.insert(stack.end(), kids.rbegin(), kids.rend());
      }
    }
  }

  // template/funcs.go basicKind; false (errBadComparisonType) for maps, slices and nil.
  static bool basic_kind(const Value& v, BasicKind* out) {
    switch (go_kind(v)) {
      case GoKind::kBool: *out = BasicKind::kBool; return true;
      case GoKind::kInt: *out = BasicKind::kInt; return true;
      case GoKind::kUint: *out = BasicKind::kUint; return true;
      case GoKind::kFloat: *out = BasicKind::kFloat; return true;
      case GoKind::kString: *out = BasicKind::kString; return true;
      default: return false;
    }
  }

  // funcs.go Equal (one argument to compare with).
  static bool equal(const Value& a, const Value& b, bool* truth, std::string* err) {
    BasicKind k1, k2;
    if (!basic_kind(a, &k1) || !basic_kind(b, &k2)) return (*err = "invalid type for comparison", false);
    if (k1 != k2) {
      // integers compare across signedness
      if (k1 == BasicKind::kInt && k2 == BasicKind::kUint) {
        *truth = int_of(a) >= 0 && static_cast<uint64_t>(int_of(a)) == static_cast<uint64_t>(b.i);
      } else if (k1 == BasicKind::kUint && k2 == BasicKind::kInt) {
        *truth = int_of(b) >= 0 && static_cast<uint64_t>(a.i) == static_cast<uint64_t>(int_of(b));
      } else {
        return (*err = "incompatible types for comparison", false);
      }
      return true;
    }
    switch (k1) {
      case BasicKind::kBool: *truth = bool_of(a) == bool_of(b); break;
      case BasicKind::kFloat: *truth = float_of(a) == float_of(b); break;
      case BasicKind::kInt: *truth = int_of(a) == int_of(b); break;
      case BasicKind::kString: *truth = string_of(a) == string_of(b); break;
      case BasicKind::kUint: *truth = a.i == b.i; break;
    }
    return true;
  }

  // funcs.go Less.
  static bool less(const Value& a, const Value& b, bool* truth, std::string* err) {
    BasicKind k1, k2;
    if (!basic_kind(a, &k1) || !basic_kind(b, &k2)) return (*err = "invalid type for comparison", false);
    if (k1 != k2) {
      if (k1 == BasicKind::kInt && k2 == BasicKind::kUint) {
        *truth = int_of(a) < 0 || static_cast<uint64_t>(int_of(a)) < static_cast<uint64_t>(b.i);
      } else if (k1 == BasicKind::kUint && k2 == BasicKind::kInt) {
        *truth = int_of(b) >= 0 && static_cast<uint64_t>(a.i) < static_cast<uint64_t>(int_of(b));
      } else {
        return (*err = "incompatible types for comparison", false);
      }
      return true;
    }
    switch (k1) {
      case BasicKind::kBool: return (*err = "invalid type for comparison", false);
      case BasicKind::kFloat: *truth = float_of(a) < float_of(b); break;
      case BasicKind::kInt: *truth = int_of(a) < int_of(b); break;
      case BasicKind::kString: *truth = string_of(a) < string_of(b); break;
      case BasicKind::kUint: *truth = a.i < b.i; break;
    }
    return true;
  }

  // evalFilter's switch over the operator, with funcs.go's NotEqual, LessEqual, Greater and
  // GreaterEqual made of Equal and Less as there.
  static bool compare(const std::string& op, const Value& a, const Value& b, bool* pass, std::string* err) {
    bool t = false;
    if (op == "==") return equal(a, b, pass, err);
    if (op == "!=") {
      if (!equal(a, b, &t, err)) return false;
      *pass = !t;
      return true;
    }
    if (op == "<") return less(a, b, pass, err);
    if (op == ">=") {
      if (!less(a, b, &t, err)) return false;
      *pass = !t;
      return true;
    }
    if (op == "<=" || op == ">") {
      // LessEqual: Less, else Equal; Greater: not LessEqual.
      if (!less(a, b, &t, err)) return false;
      if (!t && !equal(a, b, &t, err)) return false;
      *pass = op == "<=" ? t : !t;
      return true;
    }
    *err = "unrecognized filter operator " + op;
    return false;
  }

  // evalFilter: the elements of each input array for which the filter holds.
  bool eval_filter(const Values& in, const Node& node, Values* out, std::string* err) {
    const Node& left = node.nodes[0];
    const Node& right = node.nodes[1];
    const bool exists = node.text == "exists";
    Values results;
    for (const Value& v : in) {
      if (go_kind(v) != GoKind::kSlice) return fail(out, in, err, "value is not array or slice and cannot be filtered");
      for (const json& e : *v.data) {
        const Value elem = Value::Data(&e, v.unordered);
        const Values temp = {elem};
        Values lefts;
        std::string left_err;
        const bool left_ok = eval_list(temp, left, &lefts, &left_err);
        if (stopped()) return false;
        if (exists) {
          // Whatever the left side returned, error or not.
          if (!lefts.empty()) results.push_back(elem);
          continue;
        }
        if (!left_ok) return fail(out, in, err, left_err);
        if (lefts.empty()) continue;
        if (lefts.size() > 1) return fail(out, in, err, "can only compare one element at a time");
        Values rights;
        if (!eval_list(temp, right, &rights, err)) {
          if (stopped()) return false;
          return fail(out, in, err, *err);
        }
        if (rights.empty()) continue;
        if (rights.size() > 1) return fail(out, in, err, "can only compare one element at a time");
        // lefts[0].Interface(): a zero Value would panic.
        if (lefts[0].kind == Value::Kind::kInvalid || rights[0].kind == Value::Kind::kInvalid) {
          return give_up("kubectl panics (Interface of a zero Value)");
        }
        bool pass = false;
        std::string cmp_err;
        if (!compare(node.text, lefts[0], rights[0], &pass, &cmp_err)) {
          // Go returns the elements kept so far: which ones depends on the order of the input.
          if (any_unordered(in)) return give_up("a failed comparison over values in Go's map order");
          return fail(out, results, err, cmp_err);
        }
        if (pass) results.push_back(elem);
      }
    }
    *out = std::move(results);
    return true;
  }

  // template.PrintableValue and fmt.Fprint, or json.Marshal for a map or an array
  // (PrintResults, evalToText).
  bool text_of(const Value& v, std::string* out) {
    switch (go_kind(v)) {
      case GoKind::kMap:
      case GoKind::kSlice:
        if (!go::marshal(*v.data, out, limits_.max_depth)) return give_up("a value nested too deeply, or not JSON");
        return true;
      case GoKind::kInvalid: *out = "<no value>"; return true;
      case GoKind::kNil: *out = "null"; return true;
      case GoKind::kString: *out = string_of(v); return true;
      case GoKind::kInt: *out = std::to_string(int_of(v)); return true;
      case GoKind::kUint: *out = std::to_string(v.i); return true;
      case GoKind::kBool: *out = bool_of(v) ? "true" : "false"; return true;
      case GoKind::kFloat:
        if (!std::isfinite(float_of(v))) return give_up("a number Go cannot decode");
        *out = go::format_float(float_of(v));
        return true;
      case GoKind::kOther: break;
    }
    return give_up("a value that is not JSON");
  }

  // PrintResults: the results of one node, separated by a space. Values in Go's map order may
  // come in any order among the run of such values they stand in; the output is certain only
  // if each run prints the same text for every value in it.
  bool print_results(const Values& results, std::string* out) {
    std::vector<std::string> texts(results.size());
    size_t size = out->size();
    for (size_t i = 0; i < results.size(); ++i) {
      if (!text_of(results[i], &texts[i])) return false;
      size += texts[i].size() + 1;
      if (size > limits_.max_output) return give_up("more than " + std::to_string(limits_.max_output) + " bytes of output");
    }
    for (size_t i = 1; i < results.size(); ++i) {
      if (results[i].unordered && results[i - 1].unordered && texts[i] != texts[i - 1]) {
        return give_up("values printed in Go's map order");
      }
    }
    for (size_t i = 0; i < texts.size(); ++i) {
      *out += texts[i];
      if (i + 1 != texts.size()) *out += ' ';
    }
    return true;
  }

  const Node& root_;
  const JsonPathLimits& limits_;
  Status abort_;
  size_t steps_ = 0;
  int begin_range_ = 0;
  int in_range_ = 0;
  int end_range_ = 0;
  std::optional<size_t> last_end_;
};

}  // namespace

Status JsonPath::Parse(std::string_view text, JsonPath* out) {
  // Longer than one argument of a command line can be (Linux's MAX_ARG_STRLEN): kubectl is
  // never given such a template.
  if (text.size() > 128 * 1024) return Status::Invalid("jsonpath: a template of more than 128 KiB");
  auto root = std::make_shared<jsonpath::Node>();
  if (Status s = jsonpath::parse(text, root.get()); !s.ok()) return s;
  out->root_ = std::move(root);
  return Status::Ok();
}

Status JsonPath::execute(const nlohmann::json& object, std::string* out, const JsonPathLimits& limits) const {
  out->clear();
  // jsonpath.go: "is an incomplete jsonpath template"
  if (!root_) return Status::Invalid("jsonpath: no template parsed");
  Executor e(*root_, limits);
  std::string text;
  if (Status s = e.run(object, &text); !s.ok()) return s;
  *out = std::move(text);
  return Status::Ok();
}

}  // namespace ferry::engine::kube
