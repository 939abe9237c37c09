// kube::JsonPath, kubectl's JSONPath templates evaluated in ferry: the evaluator on
// hand-written objects, each expectation taken from the Go source it cites (client-go
// util/jsonpath: parser.go, jsonpath.go; its forked text/template: exec.go, funcs.go;
// cli-runtime printers/jsonpath.go and genericclioptions/jsonpath_flags.go).
#include <chrono>

#include <gtest/gtest.h>

#include "engine/kube/go_print.h"
#include "engine/kube/jsonpath.h"

namespace ferry::engine {
namespace {

using json = nlohmann::json;
using kube::JsonPath;

// The template's output over `object`, failing the test if it does not parse or run.
std::string eval(const std::string& tmpl, const json& object) {
  JsonPath path;
  Status s = JsonPath::Parse(tmpl, &path);
  EXPECT_TRUE(s.ok()) << tmpl << ": " << s.ToString();
  std::string out;
  s = path.execute(object, &out);
  EXPECT_TRUE(s.ok()) << tmpl << ": " << s.ToString();
  return out;
}

// The class of the error running the template gives (kNone if it runs).
ErrorClass run_error(const std::string& tmpl, const json& object, const kube::JsonPathLimits& limits = {}) {
  JsonPath path;
  Status s = JsonPath::Parse(tmpl, &path);
  EXPECT_TRUE(s.ok()) << tmpl << ": " << s.ToString();
  std::string out = "untouched";
  s = path.execute(object, &out, limits);
  if (!s.ok()) {
    EXPECT_EQ(out, "") << tmpl;
  }
  return s.error_class();
}

bool parses(const std::string& tmpl) {
  JsonPath path;
  return JsonPath::Parse(tmpl, &path).ok();
}

const json& pod() {
  static const json p = json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "etcd-0", "namespace": "ns", "labels": {"app": "etcd"},
                 "annotations": {"hypershift.openshift.io/cleanup-cloud-resources": "true", "html": "<a&b>"}},
    "spec": {"replicas": 3, "ratio": 1.5, "big": 123456789.0, "paused": false, "gone": null, "empty": [], "none": {},
             "ports": [80, 443, 8080, 9090], "names": ["b", "a", "c"], "mixed": [{"x": 1}, [5], []], "holes": [null, 1]},
    "status": {"conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": "2026-12-07T10:00:00Z"},
                              {"type": "Initialized", "status": "True"},
                              {"type": "Degraded", "status": "False"},
                              {"type": "NoStatus"}]}
  })");
  return p;
}

// parser.go parseText: text outside braces is printed as it is; jsonpath.go PrintResults
// writes each node's results with no newline of its own.
TEST(JsonPath, TextOutsideBracesAndSeveralActions) {
  EXPECT_EQ(eval("name: {.metadata.name}/{.metadata.namespace}!", pod()), "name: etcd-0/ns!");
  EXPECT_EQ(eval("no action at all", pod()), "no action at all");
  EXPECT_EQ(eval("}{.kind}}", pod()), "}Pod}");  // a lone `}` outside an action is text
  EXPECT_EQ(eval("", pod()), "");
}

// parser.go parseField: a backslash escapes the next character (a `.` is then part of the
// name) and all backslashes are dropped; parseArray's dictKeyRex `['key']` is parsed as
// `.key`, so a dotted key there is two fields.
TEST(JsonPath, FieldsEscapedDotsAndDictKeys) {
  EXPECT_EQ(eval("{.metadata.annotations.hypershift\\.openshift\\.io/cleanup-cloud-resources}", pod()), "true");
  EXPECT_EQ(eval("{.metadata['name']}", pod()), "etcd-0");
  EXPECT_EQ(eval("{.metadata.annotations['hypershift.openshift.io/cleanup-cloud-resources']}", pod()), "");
  EXPECT_EQ(eval("{.metadata.annotations['hypershift\\.openshift\\.io/cleanup-cloud-resources']}", pod()), "true");
  EXPECT_EQ(eval("{$.kind} {@.apiVersion} {.spec.ports[1]}", pod()), "Pod v1 443");  // `$`, `@` pass
}

// jsonpath.go PrintResults: maps, arrays as json.Marshal writes them (keys sorted, <>&
// escaped); evalToText: strings raw, numbers as fmt prints an int64 or a float64, nil as
// "null" (since "Fix: null jsonpath serialization"); several results joined by one space.
TEST(JsonPath, HowValuesPrint) {
  EXPECT_EQ(eval("{.metadata.labels}", pod()), R"({"app":"etcd"})");
  EXPECT_EQ(eval("{.metadata.annotations}",
                 pod()),
            R"({"html":"\u003ca\u0026b\u003e","hypershift.openshift.io/cleanup-cloud-resources":"true"})");
  EXPECT_EQ(eval("{.metadata.annotations.html}", pod()), "<a&b>");
  EXPECT_EQ(eval("{.spec.ports}", pod()), "[80,443,8080,9090]");
  EXPECT_EQ(eval("{.spec.empty}{.spec.none}", pod()), "[]{}");
  EXPECT_EQ(eval("{.spec.replicas} {.spec.ratio} {.spec.big} {.spec.paused} {.spec.gone}", pod()),
            "3 1.5 1.23456789e+08 false null");
  EXPECT_EQ(eval("{.spec.ports[*]}", pod()), "80 443 8080 9090");
  EXPECT_EQ(eval("{.spec.mixed}", pod()), R"([{"x":1},[5],[]])");
  // Literals: evalInt, evalFloat, evalBool, and a quoted string (parseQuote).
  EXPECT_EQ(eval("{7} {+3} {-2} {1.50} {true} {'x'}", pod()), "7 3 -2 1.5 true x");
}

// go_print.h against the forms Go writes (strconv ftoa.go %e/%f/%g, encoding/json floatEncoder).
TEST(JsonPath, NumbersAsGoWritesThem) {
  EXPECT_EQ(kube::go::format_float(1e6), "1e+06");
  EXPECT_EQ(kube::go::format_float(100000), "100000");
  EXPECT_EQ(kube::go::format_float(1e-5), "1e-05");
  EXPECT_EQ(kube::go::format_float(0.0001), "0.0001");
  EXPECT_EQ(kube::go::format_float(-0.0), "-0");
  EXPECT_EQ(kube::go::format_float(5e-324), "5e-324");
  EXPECT_EQ(kube::go::format_float(1.8446744073709552e19), "1.8446744073709552e+19");
  EXPECT_EQ(kube::go::json_float(1e21), "1e+21");
  EXPECT_EQ(kube::go::json_float(1e-7), "1e-7");
  EXPECT_EQ(kube::go::json_float(0.000001), "0.000001");
  EXPECT_EQ(kube::go::json_float(4611686018427387904.0), "4611686018427388000");
  int64_t i = 0;
  EXPECT_TRUE(kube::go::float_decodes_as_int(4611686018427387904.0, &i));
  EXPECT_EQ(i, 4611686018427388000);
  EXPECT_TRUE(kube::go::float_decodes_as_int(-0.0, &i));
  EXPECT_EQ(i, 0);
  EXPECT_FALSE(kube::go::float_decodes_as_int(1e20, &i));  // "100000000000000000000" overflows
  EXPECT_FALSE(kube::go::float_decodes_as_int(1.5, &i));
  std::string s;
  kube::go::append_json_string("q\"\\\b\f\n\r\t\x01\xe2\x80\xa8\xff\xc3\xa9", &s);
  EXPECT_EQ(s, R"("q\"\\\b\f\n\r\t\u0001\u2028\ufffdé")");
}

// jsonpath_flags.go: AllowMissingKeys defaults to true, so evalField gives nothing for a
// key that is not there instead of an error; evalArray skips nil.
TEST(JsonPath, MissingKeysPrintNothing) {
  EXPECT_EQ(eval("[{.spec.pausedUntil}]", pod()), "[]");
  EXPECT_EQ(eval("[{.no.such.path[0].at.all}]", pod()), "[]");
  EXPECT_EQ(eval("[{.spec.gone[0]}]", pod()), "[]");
  EXPECT_EQ(eval("[{.spec.replicas.x}]", pod()), "[]");  // a field of a number
}

// jsonpath.go evalArray: negative indexes count from the end; an index outside is an error;
// a slice asking for no element gives none; a step must be > 0.
TEST(JsonPath, IndexesSlicesAndSteps) {
  EXPECT_EQ(eval("{.spec.ports[0]} {.spec.ports[-1]}", pod()), "80 9090");
  EXPECT_EQ(eval("{.spec.ports[1:3]}", pod()), "443 8080");
  EXPECT_EQ(eval("{.spec.ports[::2]}", pod()), "80 8080");
  EXPECT_EQ(eval("{.spec.ports[-2:]}", pod()), "8080 9090");
  EXPECT_EQ(eval("{.spec.ports[:-3]}", pod()), "80");
  EXPECT_EQ(eval("[{.spec.ports[2:2]}]", pod()), "[]");
  EXPECT_EQ(eval("{.spec.ports[]}", pod()), "80");  // "" matches sliceOperatorRex: [0:1]
  EXPECT_EQ(run_error("{.spec.ports[4]}", pod()), ErrorClass::kInvalid);
  EXPECT_EQ(run_error("{.spec.ports[-5]}", pod()), ErrorClass::kInvalid);
  EXPECT_EQ(run_error("{.spec.ports[3:1]}", pod()), ErrorClass::kInvalid);
  EXPECT_EQ(run_error("{.spec.ports[::0]}", pod()), ErrorClass::kInvalid);
  EXPECT_EQ(run_error("{.metadata[0]}", pod()), ErrorClass::kInvalid);  // not an array
  // evalUnion: each member over all input values, one member after the other.
  EXPECT_EQ(eval("{.spec.ports[0,2]}", pod()), "80 8080");
  EXPECT_EQ(eval("{.status.conditions[0:2]['type','status']}", pod()), "Ready Initialized True True");
}

// jsonpath.go evalFilter and template/funcs.go: ==, != for any basic kind; <, >, <=, >= for
// numbers and strings; an int and a float (or a string and a number) do not compare (error);
// elements where the left side gives nothing are skipped; `[?(@.x)]` keeps the elements
// where it gives anything.
TEST(JsonPath, Filters) {
  const json& p = pod();
  EXPECT_EQ(eval("{.status.conditions[?(@.type==\"Ready\")].status}", p), "True");
  EXPECT_EQ(eval("{.status.conditions[?(@.type=='Ready')].lastHeartbeatTime}", p), "2026-12-07T10:00:00Z");
  EXPECT_EQ(eval("{.status.conditions[?(@.status==\"True\")].type}", p), "Ready Initialized");
  EXPECT_EQ(eval("{.status.conditions[?(@.status!=\"True\")].type}", p), "Degraded");
  EXPECT_EQ(eval("[{.status.conditions[?(@.type==\"Nope\")].status}]", p), "[]");
  EXPECT_EQ(eval("{.status.conditions[?(@.status)].type}", p), "Ready Initialized Degraded");
  EXPECT_EQ(eval("{.spec.ports[?(@>443)]} {.spec.ports[?(@>=443)]} {.spec.ports[?(@<443)]} {.spec.ports[?(@<=443)]}", p),
            "8080 9090 443 8080 9090 80 80 443");
  EXPECT_EQ(eval("{.spec.names[?(@<\"b\")]} {.spec.names[?(@>=\"b\")]}", p), "a b c");
  EXPECT_EQ(eval("{.spec.ports[?(@==8080)]}", p), "8080");
  EXPECT_EQ(run_error("{.spec.ports[?(@==8080.0)]}", p), ErrorClass::kInvalid);   // int64 vs float64
  EXPECT_EQ(run_error("{.spec.ports[?(@==\"80\")]}", p), ErrorClass::kInvalid);   // int64 vs string
  EXPECT_EQ(run_error("{.spec.holes[?(@==1)]}", p), ErrorClass::kInvalid);       // nil: invalid type
  EXPECT_EQ(run_error("{.spec.names[?(@<true)]}", p), ErrorClass::kInvalid);
  EXPECT_EQ(run_error("{.metadata[?(@.x)]}", p), ErrorClass::kInvalid);          // not an array
  EXPECT_EQ(run_error("{.spec.gone[?(@.x)]}", p), ErrorClass::kInvalid);         // nil: not an array
  EXPECT_EQ(run_error("{.spec.ports[?(@=!80)]}", p), ErrorClass::kInvalid);      // no such operator
  EXPECT_EQ(eval("{.spec.paused}", p), "false");
  const json flags = json::parse(R"({"l": [{"on": true, "n": "a"}, {"on": false, "n": "b"}]})");
  EXPECT_EQ(eval("{.l[?(@.on==true)].n} {.l[?(@.on!=true)].n}", flags), "a b");
  // An `exists` filter keeps an element even where its left side fails: evalFilter looks at
  // what evalList returned before it looks at the error.
  EXPECT_EQ(eval("{.spec.mixed[?(@[0])]}", p), R"({"x":1} [5] [])");
}

// jsonpath.go FindResults: `range` runs the nodes after it once per result, up to its `end`;
// an empty range still walks them (over nothing); `end` outside a range is an error.
TEST(JsonPath, RangeAndEnd) {
  const json list = json::parse(R"({"kind": "List", "items": [
      {"metadata": {"name": "a"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}},
      {"metadata": {"name": "b"}, "status": {"conditions": [{"type": "Ready", "status": "False"}]}},
      {"metadata": {"name": "c"}}]})");
  EXPECT_EQ(eval("{range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}", list),
            "True\nFalse\n\n");
  EXPECT_EQ(eval("{range .items[*]}{.metadata.name}{\"\\t\"}{.status.conditions[0].type}{\"\\n\"}{end}", list),
            "a\tReady\nb\tReady\nc\t\n");
  EXPECT_EQ(eval("{range .items[*]}{.metadata.name}{end}|{.kind}", list), "abc|List");
  EXPECT_EQ(eval("[{range .none[*]}{.metadata.name}{end}]", list), "[]");
  EXPECT_EQ(eval("{range .items[*]}{range .status.conditions[*]}{.status},{end};{end}", list), "True,;False,;;");
  EXPECT_EQ(run_error("{.kind}{end}", list), ErrorClass::kInvalid);
  EXPECT_EQ(run_error("{range .items[*]}{end}{end}", list), ErrorClass::kInvalid);
  // A null element is a zero reflect.Value inside the range: PrintableValue's "<no value>".
  EXPECT_EQ(eval("{range .spec.holes[*]}[{@}]{end}", pod()), "[<no value>][1]");
  // Without an end, the body runs to the template's end, then the rest runs again once.
  EXPECT_EQ(eval("{range .spec.ports[0:2]}<{@}>", pod()).substr(0, 12), "<80><443><{\"");
}

// parser.go parseQuote and UnquoteExtend: Go's escapes, in double or single quotes.
TEST(JsonPath, QuotedLiterals) {
  EXPECT_EQ(eval(R"({"\n"}{"\t"}{"\x41\u00e9\101"}{'it\'s'}{"say \"hi\""})", pod()), "\n\tAéAit's" R"(say "hi")");
  EXPECT_FALSE(parses(R"({"\q"})"));
  EXPECT_FALSE(parses(R"({"\'"})"));  // a single quote escaped in double quotes
  EXPECT_FALSE(parses(R"({"\ud800"})"));  // not a valid rune
  EXPECT_FALSE(parses("{\"unterminated}"));
}

// jsonpath.go evalRecursive and evalWildcard visit a map's keys in Go's random order: an
// answer is given only where that order cannot show.
TEST(JsonPath, RecursiveDescentAndWildcards) {
  const json p = pod();
  EXPECT_EQ(eval("{..lastHeartbeatTime}", p), "2026-12-07T10:00:00Z");
  EXPECT_EQ(eval("{.metadata.labels.*}", p), "etcd");                // one key: one order
  EXPECT_EQ(eval("{.spec.ports.*}", p), "80 443 8080 9090");          // arrays keep theirs
  EXPECT_EQ(eval("{.metadata.name.*}", p), "101 116 99 100 45 48");   // a string's bytes (uint8)
  EXPECT_EQ(run_error("{..type}", p), ErrorClass::kFailed);
  EXPECT_EQ(run_error("{.metadata.*}", p), ErrorClass::kFailed);
  EXPECT_EQ(run_error("{range .metadata.*}{@}{end}", p), ErrorClass::kFailed);
  const json same = json::parse(R"({"a": {"x": "v", "y": "v"}, "items": [{"name": "n1"}, {"name": "n2"}]})");
  EXPECT_EQ(eval("{.a.*}", same), "v v");           // every order prints the same
  EXPECT_EQ(eval("{.items..name}", same), "n1 n2");  // through arrays and one-key maps only
  // Values with children, each before its children; an empty string has none (no bytes).
  EXPECT_EQ(eval("{.items..}", same), R"([{"name":"n1"},{"name":"n2"}] {"name":"n1"} n1 {"name":"n2"} n2)");
  EXPECT_FALSE(parses("{....a}"));  // parseRecursive: "invalid multiple recursive descent"
}

// parser.go refuses these (kubectl then prints its parse error).
TEST(JsonPath, ParseErrors) {
  for (const char* t : {"{.a", "{[1}", "{.a[?(@.x==\"y\"]}", "{.a[x]}", "{.a[1:x]}", "{.a[+1]}", "{1.2.3}",
                        "{\t.a}", "{.a\n}", "{=}", "{.a[?(@.x)}", "{{.a}}", "{.a[\"b\"]}", "{.a[?(@.x==)]}"}) {
    EXPECT_FALSE(parses(t)) << t;
  }
  for (const char* t : {"{}", "{ }", "{@}", "{.}", "{..}", "{[*]}", "{.a[?(@.x)]}", "{range .x}{end}", "{.a-b_c/d:e}"}) {
    EXPECT_TRUE(parses(t)) << t;
  }
  // A rune above ASCII where Go asks unicode.IsLetter: left to kubectl.
  EXPECT_FALSE(parses("{é}"));
  EXPECT_TRUE(parses("{.é}"));  // inside a name it is just a byte of the name
  EXPECT_EQ(eval("{.é}", json::parse(R"({"é": "accent"})")), "accent");
}

// Hostile templates and objects end with an error, quickly, instead of running away.
TEST(JsonPath, WorkIsBounded) {
  // Each `range` without an `end` runs everything after it again: 2^n walks.
  std::string ranges;
  for (int i = 0; i < 60; ++i) ranges += "{range @}";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(run_error(ranges, pod()), ErrorClass::kFailed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  // An object nested 100000 deep: `..` walks it without recursion; printing it is refused.
  json deep = json::array();
  for (int i = 0; i < 100000; ++i) deep = json::array({std::move(deep)});
  json holder = json::object();
  holder["d"] = std::move(deep);
  EXPECT_EQ(run_error("{.d}", holder), ErrorClass::kFailed);
  EXPECT_EQ(eval("{.d..x}", holder), "");
  kube::JsonPathLimits small;
  small.max_output = 10;
  EXPECT_EQ(run_error("{.metadata}", pod(), small), ErrorClass::kFailed);
  // Longer than any command line's argument.
  EXPECT_FALSE(parses(std::string(200 * 1024, 'x')));
}

}  // namespace
}  // namespace ferry::engine
