// kube::JsonPath, kubectl's JSONPath templates evaluated in ferry, and `get -o jsonpath`
// answered through the cluster's kubectl proxy. First the evaluator on hand-written objects,
// each expectation taken from the Go source it cites (client-go util/jsonpath: parser.go,
// jsonpath.go; its forked text/template: exec.go, funcs.go; cli-runtime printers/jsonpath.go
// and genericclioptions/jsonpath_flags.go; kubectl cmd/get/get.go); then the same templates
// against the real kubectl on the sandbox's API simulator, byte for byte.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>

#include <gtest/gtest.h>

#include "engine/kube/api.h"
#include "engine/kube/api_read.h"
#include "engine/kube/go_print.h"
#include "engine/kube/jsonpath.h"
#include "tests/kube/sim.h"

namespace ferry::engine {
namespace {

using json = nlohmann::json;
using kube::JsonPath;
using testing::Sim;

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

// ---- against the real kubectl

// A template, and whether kubectl may be left to answer it: where Go's map order is involved
// (`..`, `.*`), jsonpath.h answers only when it can prove the order cannot show, which it
// cannot always do even where kubectl's output does not vary. An answer given must match.
struct Template {
  std::string text;
  bool may_run_kubectl = false;
};

// The templates run over every form below: those wait and assert send, and the printing and
// evaluation rules above.
const std::vector<Template>& templates() {
  static const std::vector<Template> all = {
      {"{.spec.pausedUntil}"},
      {"{.metadata.annotations.hypershift\\.openshift\\.io/cleanup-cloud-resources}"},
      {"{range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}"},
      {"{range .items[*]}{.metadata.name}{\"\\t\"}{.status.conditions[?(@.type==\"Ready\")].lastHeartbeatTime}{\"\\n\"}{end}"},
      {"{.spec.services[?(@.service==\"APIServer\")].servicePublishingStrategy.route.hostname}"},
      {"{.metadata.name}/{.metadata.namespace} is a {.kind}"},
      {"{.metadata}"},
      {"{.spec}"},
      {"{.status}"},
      {"{.metadata.annotations}"},
      {"{.metadata.labels.app}"},
      {"{.items[*].metadata.name}"},
      {"{.items}"},
      {"{range .items[*]}[{.metadata.name}]{end}"},
      {"{.kind} {.apiVersion} {.metadata.resourceVersion}"},
      {"{.status.conditions[*].type}"},
      {"{.status.conditions[?(@.status==\"True\")].type}"},
      {"{.status.conditions[?(@.status!=\"True\")].type}"},
      {"{.status.conditions[?(@.type==\"Nope\")].status}"},
      {"{.status.conditions[?(@.status)].type}"},
      {"{.status.conditions[0].type} {.status.conditions[-1].type}"},
      {"{.status.conditions[1:].type}"},
      {"{.items[-1].metadata.name} {.items[0:2].metadata.name} {.items[::2].metadata.name}"},
      {"{.items[0,1].metadata.name}"},
      {"{.metadata['name','namespace']}"},
      {"{.metadata.annotations['hypershift\\.openshift\\.io/cluster']}"},
      {"{.no.such.key}{.metadata.nope}"},
      {"{..hostname}", true},
      {"{..lastTransitionTime}", true},
      {"{.status.version.availableUpdates} {.status.version.history[0].verified} {.status.version.observedGeneration}"},
      {"{.status.version.history[?(@.verified==false)].state}"},
      {"{.spec.replicas} {.status.replicas}"},
      {"{.items[?(@.spec.replicas>1)].metadata.name} {.items[?(@.spec.replicas<=2)].metadata.name}"},
      {"{.items[?(@.metadata.name<\"etcd-1\")].metadata.name}"},
      {"{.spec.f2} {.spec.f1} {.spec.c} {.spec.f3} {.spec.f4} {.spec.f5} {.spec.big} {.spec.neg} {.spec.t} {.spec.n}"},
      {"{.items[*].spec.f2} {.items[*].spec.c}"},
      {"{range .spec.arr[*]}<{@}>{end}"},
      {"{.spec.arr[?(@.k)]} {.spec.e} {.spec.o}"},
      {"{.metadata.name.*}"},
      {"{$.kind} {@.metadata.name} {\"\\x41\\t\\u00e9\"}{'!'}"},
      {"{.metadata.managedFields[0].manager}"},
      {"{..name}", true},
      {"{.metadata.labels.*}", true},
      // kubectl fails on these: no answer through the proxy.
      {"{.spec.services[9]}"},
      {"{end}"},
      {"{.metadata[?(@.x)]}"},
      {"{.status.conditions[?(@.type==1)]}"},
      // kubectl makes its printer only once it found something, so with --ignore-not-found
      // and nothing found it prints nothing even for this; ferry leaves it to kubectl always.
      {"{.metadata.name", true},
  };
  return all;
}

struct Form {
  std::string ns;
  std::vector<std::string> args;  // without the output flag
};

// Objects the fixture lacks: Nodes with Ready conditions (and one without), and a Service
// holding the annotation and fields the templates read, numbers Go prints its own way (floats
// written as integers, -0.0, 1e21, a uint64), control and HTML characters.
void add_objects(const Sim& sim) {
  const kube::Api nodes(sim.kubectl(""));
  int n = 0;
  for (const json& conditions : {json::array({{{"type", "Ready"}, {"status", "True"}, {"lastHeartbeatTime", "2026-12-07T10:00:00Z"}}}),
                                 json::array({{{"type", "Ready"}, {"status", "False"}, {"lastHeartbeatTime", "2026-12-07T09:00:00Z"}}}),
                                 json::array({{{"type", "MemoryPressure"}, {"status", "False"}}})}) {
    const std::string name = "jp-node-" + std::to_string(++n);
    json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", name}, {"labels", {{"jp", "yes"}}}}}};
    ASSERT_TRUE(nodes.call("POST", "/api/v1/nodes", node, "application/json", CancelToken(), "create").ok());
    node["status"] = {{"conditions", conditions}};
    ASSERT_TRUE(nodes.call("PUT", "/api/v1/nodes/" + name + "/status", node, "application/json", CancelToken(), "status").ok());
  }
  const kube::Api api(sim.kubectl("clusters"));
  json svc = json::parse(R"({"apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "jp-data", "labels": {"app": "jp"},
                 "annotations": {"hypershift.openshift.io/cleanup-cloud-resources": "true", "html": "<a&b>",
                                 "ctl": "x\by\fz\u0001\u2028q", "uni": "h\u00e9llo"}},
    "spec": {"pausedUntil": "2026-12-07T15:00:00Z", "replicas": 2,
             "services": [{"service": "APIServer", "servicePublishingStrategy": {"route": {"hostname": "api.example.com"}}}],
             "f2": 123456789.0, "f1": 1.0, "c": -0.0, "f3": 1.5, "f4": 1e21, "f5": 1e-7, "big": 18446744073709551615,
             "neg": -3, "t": true, "n": null, "e": [], "o": {}, "arr": [1, "two", 3.5, null, false, {"k": "v"}]}})");
  ASSERT_TRUE(api.call("POST", "/api/v1/namespaces/clusters/services", svc, "application/json", CancelToken(), "create").ok());
  svc["status"] = {{"conditions", {{{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", "2026-12-07T11:00:00Z"}},
                                   {{"type", "Degraded"}, {"status", "False"}, {"lastTransitionTime", "2026-12-07T11:00:00Z"}}}}};
  ASSERT_TRUE(api.call("PUT", "/api/v1/namespaces/clusters/services/jp-data/status", svc, "application/json", CancelToken(),
                       "status")
                  .ok());
  json other = {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", "jp-other"}}}, {"spec", {{"f2", 2.5}}}};
  ASSERT_TRUE(api.call("POST", "/api/v1/namespaces/clusters/services", other, "application/json", CancelToken(), "create").ok());
}

// Every template over every form: what the proxy answers is kubectl's stdout, byte for byte;
// where kubectl fails, the proxy gives no answer (or the same failed read). The kubectl
// processes run three at a time.
void compare_with_kubectl(const Sim& sim, const std::vector<Form>& forms) {
  struct Case {
    const Template* t;
    std::vector<std::string> args;
    std::vector<std::string> argv;
    bool handled = false;
    std::string fast;
    Status read;
    ProcessResult slow;
  };
  std::vector<Case> cases;
  size_t spelling = 0;
  for (const Form& form : forms) {
    const kube::Kubectl k = sim.kubectl(form.ns);
    for (const Template& t : templates()) {
      Case c{&t, form.args, {}, false, "", Status(), ProcessResult()};
      // The output flag as ferry's steps write it, and as people do.
      switch (spelling++ % 3) {
        case 0: c.args.push_back("-o=jsonpath=" + t.text); break;
        case 1: c.args.insert(c.args.end(), {"-o", "jsonpath=" + t.text}); break;
        default: c.args.insert(c.args.begin() + 1, {"--output", "jsonpath=" + t.text}); break;
      }
      c.argv = k.argv(c.args);
      c.handled = kube::read_jsonpath_through_api(k, c.args, CancelToken(), "read", 64 << 20, &c.fast, &c.read);
      cases.push_back(std::move(c));
    }
  }
  constexpr size_t kAtOnce = 3;
  for (size_t i = 0; i < cases.size(); i += kAtOnce) {
    std::vector<std::future<ProcessResult>> running;
    for (size_t j = i; j < std::min(i + kAtOnce, cases.size()); ++j) {
      running.push_back(std::async(std::launch::async, [&c = cases[j]] {
        ProcessSpec spec;
        spec.argv = c.argv;
        return run_process(spec, CancelToken());
      }));
    }
    for (size_t j = i; j < std::min(i + kAtOnce, cases.size()); ++j) cases[j].slow = running[j - i].get();
  }
  int answered = 0;
  for (const Case& c : cases) {
    const std::string what = json(c.args).dump();
    ASSERT_TRUE(c.slow.status.ok()) << what << ": " << c.slow.status.ToString();
    if (c.slow.exit_code != 0) {
      EXPECT_TRUE(!c.handled || !c.read.ok()) << what << ": kubectl failed (" << c.slow.err
                                              << ") but the proxy answered '" << c.fast << "'";
      continue;
    }
    if (!c.t->may_run_kubectl) {
      EXPECT_TRUE(c.handled) << what << ": not answered through the proxy";
    }
    if (!c.handled) continue;
    EXPECT_TRUE(c.read.ok()) << what << ": " << c.read.ToString();
    EXPECT_EQ(c.fast, c.slow.out) << what;
    ++answered;
  }
  // Not a comparison that passes by answering nothing.
  EXPECT_GT(answered, static_cast<int>(cases.size() / 2)) << answered << " of " << cases.size();
}

// One object by name (the template runs over the object itself), cluster-scoped or not.
TEST(JsonPathKubectl, OneObjectByName) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  add_objects(sim);
  compare_with_kubectl(sim, {{"clusters", {"get", "hostedcluster/jdoe-hosted", "--ignore-not-found"}},
                             {"clusters", {"get", "services", "jp-data"}},
                             {"", {"get", "node", "jp-node-1"}}});
}

// A kind and label selectors: the template runs once over a List of the objects, made as
// kubectl makes it (floats written as integers come back int64s).
TEST(JsonPathKubectl, ListsOfObjects) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  add_objects(sim);
  compare_with_kubectl(sim, {{"clusters-jdoe-hosted", {"get", "pods", "-l", "app=etcd"}},
                             {"", {"get", "nodes", "-l", "jp=yes"}},
                             {"clusters", {"get", "services"}}});
}

// Several names (a List, even of objects of two kinds), and a selector that matches nothing
// (the template runs over an empty List).
TEST(JsonPathKubectl, SeveralNamesAndAnEmptyList) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  add_objects(sim);
  compare_with_kubectl(sim, {{"clusters-jdoe-hosted", {"get", "deployment", "kube-apiserver", "kube-scheduler"}},
                             {"clusters", {"get", "service/jp-data", "hostedcluster/jdoe-hosted", "--ignore-not-found"}},
                             {"clusters-jdoe-hosted", {"get", "pods", "-l", "app=nope"}}});
}

// --ignore-not-found and nothing found: nothing printed, not even the template's text; and
// a custom resource's kind.
TEST(JsonPathKubectl, NothingFound) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  add_objects(sim);
  compare_with_kubectl(sim, {{"clusters", {"get", "hostedcluster/nope", "--ignore-not-found"}},
                             {"clusters-jdoe-hosted", {"get", "pods", "-l", "app=nope", "--ignore-not-found"}},
                             {"clusters", {"get", "nodepools"}}});
}

// Kubectl::run answers a jsonpath `get` through the proxy: no kubectl process but the proxy
// (a kubectl that logs its calls shows it); a failed read fails as run_json's does; what the
// proxy cannot be sure of runs kubectl.
TEST(JsonPathKubectl, RunAnswersThroughTheProxy) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  const std::string log = sim.dir() + "/calls.log";
  const std::string wrapper = sim.dir() + "/kubectl";
  {
    std::ofstream w(wrapper);
    w << "#!/bin/sh\necho \"$*\" >> '" << log << "'\nexec kubectl \"$@\"\n";
  }
  std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
  const kube::Kubectl k(kube::Target{wrapper, sim.kubeconfig(), "", "clusters"});
  const auto calls = [&] {
    std::ifstream in(log);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  };

  kube::CallResult r = k.run({"get", "hostedcluster/jdoe-hosted", "--ignore-not-found",
                              "-o=jsonpath={.status.conditions[?(@.type==\"Available\")].status}"},
                             CancelToken(), "read");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "True");
  r = k.run({"get", "nodepools", "-o", "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}"}, CancelToken(), "read");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.out, "jdoe-hosted-us-west-1a\njdoe-hosted-us-west-1b\nother-cluster-pool\n");
  for (const std::string& call : calls()) EXPECT_EQ(call.rfind("--kubeconfig", 0), 0u) << call;
  for (const std::string& call : calls()) EXPECT_NE(call.find("proxy --unix-socket"), std::string::npos) << call;

  // Not found, without --ignore-not-found: the class and message run_json's read gives.
  r = k.run({"get", "hostedcluster/nope", "-o=jsonpath={.kind}"}, CancelToken(), "read hostedcluster/nope");
  json ignored;
  const Status s = k.run_json({"get", "hostedcluster/nope"}, CancelToken(), "read hostedcluster/nope", &ignored);
  EXPECT_EQ(r.status.error_class(), ErrorClass::kNotFound) << r.status.ToString();
  EXPECT_EQ(r.status.message(), s.message());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("Error from server (NotFound)"), std::string::npos) << r.err;
  for (const std::string& call : calls()) EXPECT_NE(call.find("proxy --unix-socket"), std::string::npos) << call;

  // Left to kubectl: Go's map order, a template kubectl refuses, an output too long.
  const size_t before = calls().size();
  r = k.run({"get", "hostedcluster/jdoe-hosted", "-o=jsonpath={..name}"}, CancelToken(), "read");
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_FALSE(r.out.empty());
  r = k.run({"get", "hostedcluster/jdoe-hosted", "-o=jsonpath={.metadata.name"}, CancelToken(), "read");
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.err.find("error parsing jsonpath"), std::string::npos) << r.err;
  r = k.run({"get", "hostedcluster/jdoe-hosted", "-o=jsonpath={.spec}"}, CancelToken(), "read", "", 10);
  EXPECT_FALSE(r.status.ok());
  const std::vector<std::string> after = calls();
  ASSERT_EQ(after.size(), before + 3);
  for (size_t i = before; i < after.size(); ++i) EXPECT_NE(after[i].find(" get hostedcluster/jdoe-hosted"), std::string::npos) << after[i];
}

}  // namespace
}  // namespace ferry::engine
