#include "engine/steps/kube_steps.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "engine/kube/api_write.h"

namespace ferry::engine::kube_step {
namespace {

// The first path where `given` is not contained in `existing` ("" when it is): the server adds
// defaults and metadata, so only what the plan gives is compared.
std::string first_difference(const json& given, const json& existing, const std::string& at) {
  if (given.is_object() && existing.is_object()) {
    for (const auto& [k, v] : given.items()) {
      if (!existing.contains(k)) return at + "." + k;
      if (std::string d = first_difference(v, existing[k], at + "." + k); !d.empty()) return d;
    }
    return "";
  }
  if (given.is_array() && existing.is_array() && given.size() == existing.size()) {
    for (size_t i = 0; i < given.size(); ++i) {
      std::string d = first_difference(given[i], existing[i], at + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  return given == existing ? "" : at;
}

// What of an object is its content: everything but the identity and server-owned parts.
json content_of(const json& o) {
  json c = o;
  for (const char* k : {"apiVersion", "kind", "status"}) c.erase(k);
  json md = json::object();
  for (const char* k : {"labels", "annotations"}) {
    if (o.contains("metadata") && o["metadata"].contains(k)) md[k] = o["metadata"][k];
  }
  c["metadata"] = md;
  return c;
}

}  // namespace

kube::Kubectl kubectl_for(const StepContext& ctx) {
  kube::Target t;
  if (ctx.services && !ctx.services->kubectl.empty()) t.kubectl = ctx.services->kubectl;
  if (ctx.cluster) {
    t.kubeconfig = ctx.cluster->fields.value("kubeconfig", "");
    t.context = ctx.cluster->fields.value("context", "");
  }
  t.ns = str(ctx, "namespace");
  kube::Kubectl k(std::move(t));
  if (ctx.log) k.set_log(ctx.log);
  return k;
}

std::string str(const StepContext& ctx, const std::string& name) {
  json v = ctx.arg(name, "");
  return v.is_string() ? v.get<std::string>() : v.dump();
}

namespace {

// A path's keys: `a.b["c.d/e"][*]` -> a, b, c.d/e, * (a wildcard over a list's elements).
std::vector<std::string> path_keys(const std::string& path) {
  std::vector<std::string> keys;
  std::string key;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '.') {
      if (!key.empty()) keys.push_back(key);
      key.clear();
    } else if (path[i] == '[') {
      if (!key.empty()) keys.push_back(key);
      key.clear();
      size_t close = path.find(']', i);
      if (close == std::string::npos) close = path.size();
      std::string inside = path.substr(i + 1, close - i - 1);
      if (inside.size() >= 2 && (inside.front() == '"' || inside.front() == '\'') && inside.back() == inside.front()) {
        inside = inside.substr(1, inside.size() - 2);
      }
      keys.push_back(inside);
      i = close;
    } else {
      key.push_back(path[i]);
    }
  }
  if (!key.empty()) keys.push_back(key);
  return keys;
}

void collect_values(const json& node, const std::vector<std::string>& keys, size_t at, std::vector<std::string>* out) {
  if (at == keys.size()) {
    if (node.is_string() && !node.get<std::string>().empty()) out->push_back(node.get<std::string>());
    return;
  }
  const std::string& key = keys[at];
  if (key == "*" && node.is_array()) {
    for (const json& e : node) collect_values(e, keys, at + 1, out);
  } else if (node.is_object() && node.contains(key)) {
    collect_values(node[key], keys, at + 1, out);
  } else if (node.is_array() && !key.empty() && key.find_first_not_of("0123456789") == std::string::npos) {
    size_t i = std::stoul(key);
    if (i < node.size()) collect_values(node[i], keys, at + 1, out);
  }
}

}  // namespace

std::string braced_jsonpath(std::string path) {
  if (path.empty() || path.front() != '{') path = "{" + path + "}";
  return path;
}

json::json_pointer dotted_path(const std::string& path) {
  json::json_pointer p;
  for (const std::string& key : path_keys(path)) p /= key;
  return p;
}

std::vector<std::string> values_at(const json& object, const std::string& path) {
  std::vector<std::string> out;
  collect_values(object, path_keys(path), 0, &out);
  return out;
}

void drop_foreign_metadata(json* object) {
  static const char* const kForeign[] = {"uid", "resourceVersion", "creationTimestamp", "generation",
                                         "managedFields", "selfLink", "deletionTimestamp",
                                         "deletionGracePeriodSeconds", "ownerReferences", "finalizers"};
  if (!object->is_object() || !object->contains("metadata") || !(*object)["metadata"].is_object()) return;
  json& md = (*object)["metadata"];
  for (const char* k : kForeign) md.erase(k);
  if (md.contains("annotations") && md["annotations"].is_object()) {
    md["annotations"].erase("kubectl.kubernetes.io/last-applied-configuration");
    if (md["annotations"].empty()) md.erase("annotations");
  }
}

namespace {

// `from` is a backup step (its outputs or its files), a file, or a list of those, nested.
void collect_files(const json& from, std::vector<std::string>* files) {
  if (from.is_string()) {
    files->push_back(from.get<std::string>());
  } else if (from.is_object() && from.contains("files")) {
    collect_files(from["files"], files);
  } else if (from.is_array()) {
    for (const json& f : from) collect_files(f, files);
  }
}

}  // namespace

Status read_backup_objects(StepContext& ctx, const json& from, std::vector<json>* objects) {
  std::vector<std::string> files;
  collect_files(from, &files);
  for (const std::string& file : files) {
    std::ifstream in(file);
    if (!in) return Status::NotFound("cannot read the backup file " + file);
    json o = json::parse(in, nullptr, false);
    if (!o.is_object() || !o.contains("kind")) return Status::Invalid(file + " holds no object");
    if (o.value("kind", "") == "Secret" && o.contains("data") && o["data"].is_object()) {
      for (const auto& [k, v] : o["data"].items()) {
        if (v.is_string()) ctx.taint(v.get<std::string>());
      }
    }
    objects->push_back(std::move(o));
  }
  return Status::Ok();
}

std::string file_safe(const std::string& id) {
  std::string out;
  for (char c : id) out.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ? c : '_');
  return out;
}

std::vector<std::string> pod_exec_args(const StepContext& ctx, const std::vector<std::string>& command,
                                       bool with_stdin) {
  std::vector<std::string> args = {"exec"};
  if (with_stdin) args.push_back("-i");
  args.push_back(str(ctx, "pod"));
  if (std::string c = str(ctx, "container"); !c.empty()) args.insert(args.end(), {"-c", c});
  args.push_back("--");
  args.insert(args.end(), command.begin(), command.end());
  return args;
}

std::string label(const json& object) {
  return object.value("kind", "?") + "/" + object.value("metadata", json::object()).value("name", "?");
}

Status existing_differs(const kube::Kubectl& k, const json& object, const CancelToken& cancel, std::string* where) {
  json there;
  Status s = k.run_json({"get", "-f", "-"}, cancel, "read the existing " + label(object) + k.where(), &there,
                        ref_of(object, k.target().ns).dump());
  if (!s.ok()) return s;
  std::vector<json> found = kube::items_of(there);  // `get -f` answers a List
  // Paths only, never values: they may be a Secret's data.
  *where = found.empty() ? "metadata" : differs_at(object, found.front());
  return Status::Ok();
}

json ref_of(const json& object, const std::string& default_ns) {
  json md = {{"name", object["metadata"].value("name", "")}};
  std::string ns = object["metadata"].value("namespace", default_ns);
  if (!ns.empty()) md["namespace"] = ns;
  return {{"apiVersion", object.value("apiVersion", "")}, {"kind", object.value("kind", "")}, {"metadata", md}};
}

json as_list(const std::vector<json>& objects) { return {{"apiVersion", "v1"}, {"kind", "List"}, {"items", objects}}; }

Status absent_objects(const kube::Kubectl& k, const std::vector<json>& refs, const CancelToken& cancel, json* absent) {
  json existing;
  Status s = k.run_json({"get", "-f", "-", "--ignore-not-found"}, cancel, "look for the objects to create" + k.where(),
                        &existing, as_list(refs).dump());
  if (!s.ok()) return s;
  const std::vector<json> found = kube::items_of(existing);
  // The API group of an apiVersion ("" for the core group's "v1").
  auto group = [](const json& o) {
    const std::string v = o.value("apiVersion", "");
    return v.find('/') == std::string::npos ? std::string() : v.substr(0, v.find('/'));
  };
  *absent = json::array();
  for (const json& ref : refs) {
    const json md = ref.value("metadata", json::object());
    bool there = std::any_of(found.begin(), found.end(), [&](const json& e) {
      const json emd = e.value("metadata", json::object());
      // A cluster-scoped object comes back without a namespace, whatever the ref was given.
      const bool same_namespace = !emd.contains("namespace") || !md.contains("namespace") ||
                                  emd.value("namespace", "") == md.value("namespace", "");
      return e.value("kind", "") == ref.value("kind", "") && group(e) == group(ref) &&
             emd.value("name", "") == md.value("name", "") && same_namespace;
    });
    if (!there) absent->push_back(ref);
  }
  return Status::Ok();
}

namespace {

// `kubectl create -f -` of the objects: through the proxy where the API can take them as they
// are (api_write.h), else one kubectl process for all of them.
kube::CallResult create(const kube::Kubectl& k, const std::vector<json>& objects, const CancelToken& cancel,
                        const std::string& what) {
  kube::CallResult c;
  if (kube::create_through_api(k, objects, cancel, what, &c.status)) return c;
  return k.run({"create", "-f", "-"}, cancel, what, objects.size() == 1 ? objects[0].dump() : as_list(objects).dump());
}

// One call for many objects: kubectl creates (or applies) a List's items in order, each its own
// request, so a restore of twenty objects is one process instead of twenty.
kube::CallResult create_all(const kube::Kubectl& k, const std::vector<json>& objects, const CreateObjects& how,
                            const CancelToken& cancel) {
  const std::string what = how.verb + " " + std::to_string(objects.size()) + " objects" + k.where();
  return how.replace ? k.run({"apply", "--server-side", "--field-manager=ferry", "--force-conflicts", "-f", "-"},
                             cancel, what, as_list(objects).dump())
                     : create(k, objects, cancel, what);
}

// Kinds whose creation changes what the API server serves: kubectl resolves a List's kinds once,
// so objects of a kind a CRD in the same List defines would not be found. A batch ends after one.
bool defines_kinds(const json& object) {
  const std::string kind = object.value("kind", "");
  return kind == "CustomResourceDefinition" || kind == "APIService";
}

}  // namespace

Status create_objects(StepContext& ctx, const kube::Kubectl& k, const std::vector<json>& objects,
                      const CreateObjects& how, json* made) {
  std::vector<json> refs;
  for (const json& o : objects) refs.push_back(ref_of(o, k.target().ns));
  json absent;
  if (Status s = absent_objects(k, refs, ctx.cancel, &absent); !s.ok()) return s;
  // `found`: what existed already, which another step (another hosted cluster's restore) may have
  // created; the executor keeps a compensation from deleting what a step still done found.
  json found = json::array();
  for (const json& ref : refs) {
    if (std::find(absent.begin(), absent.end(), ref) == absent.end() && std::find(found.begin(), found.end(), ref) == found.end()) {
      found.push_back(ref);
    }
  }
  ctx.save_undo({{"created", absent}, {"found", found}});
  auto is_absent = [&](size_t i) { return std::find(absent.begin(), absent.end(), refs[i]) != absent.end(); };
  // The fast path: what does not exist yet (everything, for a server-side apply) in as few calls
  // as can be. Existing objects, and all of a batch when another writer created one of them in
  // between (AlreadyExists), take the path of one call each, which judges each. An object given
  // twice (two backups that both hold it) goes in once; given twice with other content, the
  // second is judged on its own, after the first exists.
  std::vector<std::vector<size_t>> batches(1);
  std::vector<size_t> one_by_one;
  std::map<std::string, size_t> first_given;  // ref -> the index of the object first given for it
  std::vector<size_t> same_as(objects.size());  // i, or the index of an identical object given before
  for (size_t i = 0; i < objects.size(); ++i) {
    same_as[i] = i;
    auto [first, is_first] = first_given.emplace(refs[i].dump(), i);
    if (!is_first && objects[first->second] == objects[i]) {
      same_as[i] = first->second;
      continue;
    }
    if ((!how.replace && !is_absent(i)) || !is_first) {
      one_by_one.push_back(i);
      continue;
    }
    batches.back().push_back(i);
    if (defines_kinds(objects[i])) batches.emplace_back();
  }
  std::set<size_t> done;     // indexes into objects
  std::set<size_t> batched;  // sent in a batch that failed: maybe created by it
  for (const std::vector<size_t>& b : batches) {
    if (b.empty()) continue;
    std::vector<json> list;
    for (size_t i : b) list.push_back(objects[i]);
    kube::CallResult c = create_all(k, list, how, ctx.cancel);
    if (c.status.ok()) {
      done.insert(b.begin(), b.end());
    } else if (c.status.error_class() == ErrorClass::kAlreadyExists) {
      one_by_one.insert(one_by_one.end(), b.begin(), b.end());
      batched.insert(b.begin(), b.end());
    } else {
      return c.status;  // what kubectl created of it is in the undo, with the rest that was absent
    }
  }
  std::sort(one_by_one.begin(), one_by_one.end());
  for (size_t i : one_by_one) {
    const json& o = objects[i];
    const std::string what = how.verb + " " + label(o) + k.where();
    kube::CallResult c = how.replace ? create_all(k, {o}, how, ctx.cancel) : create(k, {o}, ctx.cancel, what);
    // One the failed batch may have created is judged like any other: identical, it is ours.
    if (c.status.error_class() == ErrorClass::kAlreadyExists && how.skip_existing && !batched.count(i)) {
      ctx.log(label(o) + " already exists: skipped (on_exists = skip)");
      continue;
    }
    if (c.status.error_class() == ErrorClass::kAlreadyExists) {
      std::string d;
      if (Status s = existing_differs(k, o, ctx.cancel, &d); !s.ok()) return s;
      if (!d.empty() && how.skip_existing) {
        ctx.log(label(o) + " already exists: skipped (on_exists = skip)");
        continue;
      }
      if (!d.empty()) {
        return Status::Error(ErrorClass::kAlreadyExists, what + ": it already exists and differs from " + how.given_by +
                                                             " at " + d + " " + how.advice);
      }
      ctx.log(label(o) + " already exists " + how.as_given);
    } else if (!c.status.ok()) {
      return c.status;
    }
    done.insert(i);
  }
  *made = json::array();
  for (size_t i = 0; i < objects.size(); ++i) {
    if (done.count(same_as[i])) made->push_back(label(objects[i]));
  }
  return Status::Ok();
}

namespace {
const std::vector<std::string> kDeleteArgs = {"delete", "-f", "-", "--ignore-not-found", "--wait=true", "--timeout=5m"};
}  // namespace

Status delete_created(const StepContext& ctx, const json& undo, bool strip_finalizers) {
  const json refs = undo.is_object() ? undo.value("created", json::array()) : json::array();
  if (!refs.is_array() || refs.empty()) return Status::Ok();
  kube::Kubectl k = kubectl_for(ctx);
  std::vector<json> newest_first(refs.rbegin(), refs.rend());
  if (strip_finalizers) {
    for (const json& ref : newest_first) {
      if (Status s = delete_without_finalizers(k, ref, ctx.cancel); !s.ok()) return s;
    }
  }
  return k.run(kDeleteArgs, ctx.cancel, "delete the objects the step created" + k.where(), as_list(newest_first).dump())
      .status;
}

std::vector<Action> render_delete_created(const StepContext& ctx, bool strip_finalizers) {
  kube::Kubectl k = kubectl_for(ctx);
  std::vector<Action> actions;
  if (strip_finalizers) {
    for (Action& a : render_delete_without_finalizers("each object the step created, newest first")) {
      actions.push_back(std::move(a));
    }
  }
  actions.push_back(k.action(kDeleteArgs, "the objects that did not exist before the step, newest first, as a JSON List"));
  return actions;
}

std::string differs_at(const json& given, const json& existing) {
  std::string d = first_difference(content_of(given), content_of(existing), "");
  return d.empty() ? d : d.substr(1);
}

}  // namespace ferry::engine::kube_step
