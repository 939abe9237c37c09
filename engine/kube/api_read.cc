#include "engine/kube/api_read.h"

#include <cmath>

#include "engine/aws/uri.h"
#include "engine/kube/go_print.h"
#include "engine/kube/jsonpath.h"

namespace ferry::engine::kube {
namespace {

struct GetArgs {
  std::vector<std::string> positional;  // KIND [NAME...], or KIND/NAME...
  std::string selector;
  std::string output;  // "" (none given), "json", or "jsonpath=TEMPLATE"
  bool from_stdin = false;
  bool ignore_not_found = false;
};

// The value of `-o VALUE`, `-o=VALUE`, `--output VALUE` or `--output=VALUE` at args[*i].
bool output_flag(const std::vector<std::string>& args, size_t* i, std::string* value) {
  const std::string& a = args[*i];
  for (const std::string flag : {"-o", "--output"}) {
    if (a == flag && *i + 1 < args.size()) {
      *value = args[++*i];
      return true;
    }
    if (a.rfind(flag + "=", 0) == 0) {
      *value = a.substr(flag.size() + 1);
      return true;
    }
  }
  return false;
}

// False for anything else kubectl's `get` takes (another output, a field selector, -A, ...).
bool parse(const std::vector<std::string>& args, GetArgs* g) {
  if (args.empty() || args[0] != "get") return false;
  bool output_given = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (std::string value; output_flag(args, &i, &value)) {
      if (output_given || (value != "json" && value.rfind("jsonpath=", 0) != 0)) return false;
      output_given = true;
      g->output = value;
    } else if (a == "--ignore-not-found") {
      g->ignore_not_found = true;
    } else if (a == "-l" && i + 1 < args.size()) {
      g->selector = args[++i];
    } else if (a == "-f" && i + 1 < args.size() && args[i + 1] == "-") {
      g->from_stdin = true;
      ++i;
    } else if (!a.empty() && a[0] != '-') {
      g->positional.push_back(a);
    } else {
      return false;
    }
  }
  if (g->from_stdin) return g->positional.empty() && g->selector.empty();
  return !g->positional.empty();
}

// kubectl's `get` leaves out metadata.managedFields unless --show-managed-fields (only for
// -o json and yaml: cli-runtime genericclioptions/json_yaml_flags.go wraps those printers in
// OmitManagedFieldsPrinter; the jsonpath printer sees them).
void without_managed_fields(json* object) {
  if (object->contains("metadata") && (*object)["metadata"].is_object()) (*object)["metadata"].erase("managedFields");
}

json as_list(json items) {
  return {{"apiVersion", "v1"}, {"kind", "List"}, {"metadata", {{"resourceVersion", ""}}}, {"items", std::move(items)}};
}

// One object at `path`: appended to *items, or skipped if gone and `ignore_not_found`.
Status read_one(const Api& api, const std::string& path, bool ignore_not_found, const CancelToken& cancel,
                const std::string& what, json* items) {
  json object;
  Status s = api.call("GET", path, nullptr, "", cancel, what, &object);
  if (s.error_class() == ErrorClass::kNotFound && ignore_not_found) return Status::Ok();
  if (!s.ok()) return s;
  items->push_back(std::move(object));
  return Status::Ok();
}

// What kubectl's `get` finds for `g`: the objects, and whether one object was asked for by name
// (kubectl's singleItemImplied: printed as itself, not in a List). False when the form is not
// one this answers (the caller runs kubectl); else *status says whether the reads went well.
bool find(const Kubectl& k, const GetArgs& g, const std::string& stdin_text, const CancelToken& cancel,
          const std::string& what, json* items, bool* one_by_name, Status* status) {
  const Api api(k);
  const std::string& ns = k.target().ns;
  *items = json::array();
  *one_by_name = false;

  if (g.from_stdin) {
    const json given = json::parse(stdin_text, nullptr, false);
    if (given.is_discarded()) return false;  // kubectl says what is wrong with it
    for (const json& ref : items_of(given)) {
      std::string path;
      if (Status s = api.object_path(ref, cancel, &path); !s.ok()) return false;  // kubectl's message
      if (*status = read_one(api, path, g.ignore_not_found, cancel, what, items); !status->ok()) return true;
    }
    *status = Status::Ok();
    return true;
  }

  // KIND [NAME...] or KIND/NAME...: each kind must resolve to one resource, in a known namespace.
  std::vector<std::pair<std::string, std::string>> asked;  // kind, name ("" for all of them)
  const bool slashed = g.positional[0].find('/') != std::string::npos;
  if (slashed) {
    for (const std::string& p : g.positional) {
      const size_t slash = p.find('/');
      if (slash == std::string::npos) return false;
      asked.emplace_back(p.substr(0, slash), p.substr(slash + 1));
    }
  } else if (g.positional.size() == 1) {
    asked.emplace_back(g.positional[0], "");
  } else {
    for (size_t i = 1; i < g.positional.size(); ++i) {
      if (g.positional[i].find('/') != std::string::npos) return false;
      asked.emplace_back(g.positional[0], g.positional[i]);
    }
  }
  std::vector<std::pair<Resource, std::string>> wanted;
  for (const auto& [kind, name] : asked) {
    Resource r;
    bool found = false;
    if (Status s = api.resource(kind, cancel, &r, &found); !s.ok() || !found) return false;
    if (r.namespaced && ns.empty()) return false;  // the kubeconfig's namespace: kubectl knows it
    if ((r.namespaced && !plain_path_segment(ns)) || (!name.empty() && !plain_path_segment(name))) return false;
    wanted.emplace_back(r, name);
  }
  if (!g.selector.empty() && (asked.size() != 1 || !asked[0].second.empty())) return false;

  for (const auto& [r, name] : wanted) {
    const std::string collection = r.collection_path(ns);
    const size_t before = items->size();
    if (name.empty()) {
      json list;
      const std::string query = g.selector.empty() ? "" : "?labelSelector=" + aws::uri_encode(g.selector);
      if (*status = api.call("GET", collection + query, nullptr, "", cancel, what, &list); !status->ok()) return true;
      for (json& item : list.value("items", json::array())) items->push_back(std::move(item));
    } else if (*status = read_one(api, collection + "/" + name, g.ignore_not_found, cancel, what, items);
               !status->ok()) {
      return true;
    }
    // A list of built-in objects comes without their apiVersion and kind; kubectl puts them
    // back (a custom resource keeps the version it was given in).
    for (size_t i = before; i < items->size(); ++i) {
      json& item = (*items)[i];
      if (!item.contains("apiVersion")) item["apiVersion"] = r.group_version;
      if (!item.contains("kind")) item["kind"] = r.kind;
    }
  }
  *one_by_name = wanted.size() == 1 && !wanted[0].second.empty();
  *status = Status::Ok();
  return true;
}

// The object as apimachinery holds it once decoded: false if it has a number Go's decoder
// refuses (nlohmann reads 1e999 as infinity). `again`: it went through json.Marshal and a
// second decode (a List kubectl made of several objects), which turns floats written as
// integers into int64s (go_print.h float_decodes_as_int).
bool as_go_decodes(json* value, bool again) {
  std::vector<json*> stack = {value};
  while (!stack.empty()) {
    json* v = stack.back();
    stack.pop_back();
    if (v->is_structured()) {
      for (json& child : *v) stack.push_back(&child);
    } else if (v->is_number_float()) {
      const double f = v->get<double>();
      if (!std::isfinite(f)) return false;
      if (int64_t i; again && go::float_decodes_as_int(f, &i)) *v = i;
    }
  }
  return true;
}

}  // namespace

bool read_through_api(const Kubectl& k, const std::vector<std::string>& get_args, const std::string& stdin_text,
                      const CancelToken& cancel, const std::string& what, json* out, Status* status) {
  GetArgs g;
  if (!parse(get_args, &g) || (!g.output.empty() && g.output != "json")) return false;
  json items;
  bool one_by_name = false;
  Status s;
  if (!find(k, g, stdin_text, cancel, what, &items, &one_by_name, &s)) return false;
  *status = s;
  if (!s.ok()) return true;
  for (json& item : items) without_managed_fields(&item);
  // One object asked for by name is printed as itself; anything else as a List.
  *out = one_by_name && items.size() == 1 ? items[0] : as_list(std::move(items));
  return true;
}

bool read_jsonpath_through_api(const Kubectl& k, const std::vector<std::string>& get_args, const CancelToken& cancel,
                               const std::string& what, size_t max_output, std::string* out, Status* status) {
  GetArgs g;
  if (!parse(get_args, &g) || g.output.rfind("jsonpath=", 0) != 0 || g.from_stdin) return false;
  // A template kubectl refuses (or one left to it) is kubectl's to report, before any read.
  const std::string text = g.output.substr(std::string("jsonpath=").size());
  JsonPath path;
  if (text.empty() || !JsonPath::Parse(text, &path).ok()) return false;
  json items;
  bool one_by_name = false;
  Status s;
  if (!find(k, g, "", cancel, what, &items, &one_by_name, &s)) return false;
  *status = s;
  out->clear();
  if (!s.ok()) return true;
  // get.go printGeneric: nothing found and --ignore-not-found: nothing printed, not even the
  // template's text.
  if (items.empty() && g.ignore_not_found) return true;
  // One object asked for by name: the template runs over it; else over a List of them, made as
  // kubectl makes it (marshalled, decoded again).
  const bool listed = !(one_by_name && items.size() == 1);
  json object = listed ? as_list(std::move(items)) : std::move(items[0]);
  if (!as_go_decodes(&object, listed)) return false;
  JsonPathLimits limits;
  limits.max_output = max_output;
  std::string printed;
  if (!path.execute(object, &printed, limits).ok()) return false;  // kubectl's error, or not sure
  *out = std::move(printed);
  return true;
}

}  // namespace ferry::engine::kube
