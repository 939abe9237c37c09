#include "engine/kube/api_read.h"

#include "engine/aws/uri.h"

namespace ferry::engine::kube {
namespace {

struct GetArgs {
  std::vector<std::string> positional;  // KIND [NAME...], or KIND/NAME...
  std::string selector;
  bool from_stdin = false;
  bool ignore_not_found = false;
};

// False for anything else kubectl's `get` takes (another output, a field selector, -A, ...).
bool parse(const std::vector<std::string>& args, GetArgs* g) {
  if (args.empty() || args[0] != "get") return false;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-o" && i + 1 < args.size() && args[i + 1] == "json") {
      ++i;
    } else if (a == "-o=json") {
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

// kubectl's `get` leaves out metadata.managedFields unless --show-managed-fields.
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

}  // namespace

bool read_through_api(const Kubectl& k, const std::vector<std::string>& get_args, const std::string& stdin_text,
                      const CancelToken& cancel, const std::string& what, json* out, Status* status) {
  GetArgs g;
  if (!parse(get_args, &g)) return false;
  const Api api(k);
  const std::string& ns = k.target().ns;
  json items = json::array();

  if (g.from_stdin) {
    const json given = json::parse(stdin_text, nullptr, false);
    if (given.is_discarded()) return false;  // kubectl says what is wrong with it
    for (const json& ref : items_of(given)) {
      std::string path;
      if (Status s = api.object_path(ref, cancel, &path); !s.ok()) return false;  // kubectl's message
      if (*status = read_one(api, path, g.ignore_not_found, cancel, what, &items); !status->ok()) return true;
    }
    for (json& item : items) without_managed_fields(&item);
    *out = as_list(std::move(items));
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
    const size_t before = items.size();
    if (name.empty()) {
      json list;
      const std::string query = g.selector.empty() ? "" : "?labelSelector=" + aws::uri_encode(g.selector);
      if (*status = api.call("GET", collection + query, nullptr, "", cancel, what, &list); !status->ok()) return true;
      for (json& item : list.value("items", json::array())) items.push_back(std::move(item));
    } else if (*status = read_one(api, collection + "/" + name, g.ignore_not_found, cancel, what, &items);
               !status->ok()) {
      return true;
    }
    // A list of built-in objects comes without their apiVersion and kind; kubectl puts them
    // back (a custom resource keeps the version it was given in).
    for (size_t i = before; i < items.size(); ++i) {
      if (!items[i].contains("apiVersion")) items[i]["apiVersion"] = r.group_version;
      if (!items[i].contains("kind")) items[i]["kind"] = r.kind;
    }
  }
  for (json& item : items) without_managed_fields(&item);
  *status = Status::Ok();
  // One object asked for by name is printed as itself; anything else as a List.
  const bool one_by_name = wanted.size() == 1 && !wanted[0].second.empty();
  *out = one_by_name && items.size() == 1 ? items[0] : as_list(std::move(items));
  return true;
}

}  // namespace ferry::engine::kube
