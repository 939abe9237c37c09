// `backup`: objects of one kind, chosen by names, a name prefix or regex, a label selector, an
// owner, or the names other backed-up objects reference (`referenced_from` + `references`),
// minus excluded names and Secret types, written one JSON file per object under
// RUN_DIR/backups/STEP/ (0600 in 0700 directories), cleaned of status, of the metadata the server
// sets, of owner references and of finalizers, so `restore` can create them on another cluster.
// A Secret's data is tainted as it is read.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "engine/base/durable_file.h"
#include "engine/steps/kube_steps.h"

namespace ferry::engine {
namespace {

using kube_step::kubectl_for;
using kube_step::str;

std::vector<std::string> list_args(const StepContext& ctx) {
  std::vector<std::string> args = {"get", str(ctx, "kind")};
  for (const json& n : ctx.arg("names", json::array())) args.push_back(n.get<std::string>());
  if (std::string sel = str(ctx, "selector"); !sel.empty()) args.insert(args.end(), {"-l", sel});
  return args;
}

bool any_match(const json& regexes, const std::string& text) {
  for (const json& r : regexes) {
    if (std::regex_search(text, std::regex(r.get<std::string>()))) return true;
  }
  return false;
}

bool owned_by(const json& o, const std::string& owner) {  // owner: "Kind/name"
  for (const json& ref : o["metadata"].value("ownerReferences", json::array())) {
    if (ref.value("kind", "") + "/" + ref.value("name", "") == owner) return true;
  }
  return false;
}

// With `referenced_from`: the names the backed-up objects hold at the `references` paths
// (the Secrets a HostedCluster's spec names, say), each once.
Status referenced_names(StepContext& ctx, std::set<std::string>* names) {
  std::vector<json> referrers;
  if (Status s = kube_step::read_backup_objects(ctx, ctx.arg("referenced_from", json::array()), &referrers); !s.ok()) {
    return Status::Error(s.error_class(), "referenced_from: " + s.message());
  }
  for (const json& o : referrers) {
    for (const json& path : ctx.arg("references", json::array())) {
      for (std::string& v : kube_step::values_at(o, path.get<std::string>())) names->insert(std::move(v));
    }
  }
  return Status::Ok();
}

// With `prefix_owners`: the names of that kind's objects in the namespace that are longer than
// `name_prefix` and start with it (for HostedCluster `ops`, `ops-hosted`). An object named
// `ops-hosted-...` is that one's, not `ops`'s, though it starts with `ops` too.
Status longer_owners(StepContext& ctx, const kube::Kubectl& k, std::vector<std::string>* owners) {
  const std::string kind = str(ctx, "prefix_owners");
  const std::string prefix = str(ctx, "name_prefix");
  if (kind.empty() || prefix.empty()) return Status::Ok();
  json listed;
  if (Status s = k.run_json({"get", kind}, ctx.cancel, "list the " + kind + k.where(), &listed); !s.ok()) return s;
  for (const json& o : kube::items_of(listed)) {
    const std::string name = o["metadata"].value("name", "");
    if (name.size() > prefix.size() && name.rfind(prefix, 0) == 0) owners->push_back(name);
  }
  return Status::Ok();
}

bool chosen(const StepContext& ctx, const json& o, const std::vector<std::string>& other_owners) {
  const std::string name = o["metadata"].value("name", "");
  if (std::string p = str(ctx, "name_prefix"); !p.empty() && name.rfind(p, 0) != 0) return false;
  for (const std::string& other : other_owners) {
    if (name.rfind(other + "-", 0) == 0) return false;
  }
  if (std::string re = str(ctx, "name_regex"); !re.empty() && !std::regex_search(name, std::regex(re))) return false;
  if (std::string owner = str(ctx, "owner"); !owner.empty() && !owned_by(o, owner)) return false;
  if (any_match(ctx.arg("exclude_names", json::array()), name)) return false;
  for (const json& t : ctx.arg("exclude_types", json::array())) {
    if (o.value("type", "") == t) return false;
  }
  return true;
}

json cleaned(const StepContext& ctx, json o) {
  kube_step::drop_foreign_metadata(&o);
  if (ctx.arg("keep_status", false) != json(true)) o.erase("status");
  for (const json& path : ctx.arg("drop", json::array())) {
    json::json_pointer p = kube_step::dotted_path(path.get<std::string>());
    if (!p.empty() && o.contains(p)) o.at(p.parent_pointer()).erase(p.back());
  }
  return o;
}

void taint_secret_data(StepContext& ctx, const json& o) {
  if (o.value("kind", "") != "Secret") return;
  for (const char* field : {"data", "stringData"}) {
    if (!o.contains(field)) continue;
    for (const auto& [k, v] : o[field].items()) {
      if (v.is_string()) ctx.taint(v.get<std::string>());
    }
  }
}

std::string backup_dir(const StepContext& ctx) {
  // A dry run has no run directory yet.
  return (ctx.run_dir.empty() ? "RUN_DIR" : ctx.run_dir) + "/backups/" + kube_step::file_safe(ctx.step ? ctx.step->id : "backup");
}

std::vector<Action> render(const StepContext& ctx) {
  std::vector<Action> actions;
  if (const std::string owners = str(ctx, "prefix_owners"); !owners.empty() && !str(ctx, "name_prefix").empty()) {
    Action o = kubectl_for(ctx).action({"get", owners, "-o", "json"});
    o.note = "a name that starts with a longer " + owners + " name than " + str(ctx, "name_prefix") +
             ", and -, is that one's: left out";
    actions.push_back(o);
  }
  std::vector<std::string> args = list_args(ctx);
  args.insert(args.end(), {"-o", "json"});
  Action a = kubectl_for(ctx).action(args);
  a.note = "one file per chosen object under " + backup_dir(ctx) +
           "/, without status, server-set metadata, owner references and finalizers";
  if (!ctx.arg("referenced_from").is_null()) {
    a.note += "; only those whose names the backed-up objects of referenced_from hold at " +
              ctx.arg("references", json::array()).dump();
  }
  actions.push_back(a);
  return actions;
}

Status write_private(const std::string& path, const std::string& text) {
  std::string error;
  return write_file_durably(path, text, &error) ? Status::Ok() : Status::Failed(error);
}

StepResult run(StepContext& ctx) {
  StepResult r;
  kube::Kubectl k = kubectl_for(ctx);
  const std::string kind = str(ctx, "kind");
  const bool by_reference = !ctx.arg("referenced_from").is_null();
  std::set<std::string> wanted;
  if (by_reference) {
    if (r.status = referenced_names(ctx, &wanted); !r.status.ok()) return r;
  }
  std::vector<std::string> other_owners;
  if (r.status = longer_owners(ctx, k, &other_owners); !r.status.ok()) return r;
  json listed;
  if (r.status = k.run_json(list_args(ctx), ctx.cancel, "list the " + kind + " to back up" + k.where(), &listed);
      !r.status.ok()) {
    return r;
  }
  const std::string dir = backup_dir(ctx);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    r.status = Status::Failed("cannot create " + dir + ": " + ec.message());
    return r;
  }
  chmod((ctx.run_dir + "/backups").c_str(), 0700);
  chmod(dir.c_str(), 0700);
  json files = json::array();
  json manifest = json::array();
  for (const json& o : kube::items_of(listed)) {
    taint_secret_data(ctx, o);  // even the ones left out: they passed through ferry
    try {
      if (!chosen(ctx, o, other_owners)) continue;
      if (by_reference && !wanted.count(o["metadata"].value("name", ""))) continue;
    } catch (const std::regex_error& e) {
      r.status = Status::Invalid("name_regex or exclude_names: not a valid regular expression: " + std::string(e.what()));
      return r;
    }
    wanted.erase(o["metadata"].value("name", ""));
    json c = cleaned(ctx, o);
    const std::string name = c["metadata"].value("name", "");
    const std::string file = dir + "/" + kube_step::file_safe(c.value("kind", "Object") + "-" + name) + ".json";
    if (r.status = write_private(file, c.dump(2) + "\n"); !r.status.ok()) return r;
    files.push_back(file);
    manifest.push_back({{"file", file}, {"apiVersion", c.value("apiVersion", "")}, {"kind", c.value("kind", "")},
                        {"name", name}, {"namespace", c["metadata"].value("namespace", "")}});
  }
  if (by_reference && !wanted.empty()) {
    // The operator blocks on a missing one (controllers.md §4): better to stop before anything moves.
    std::string missing;
    for (const std::string& n : wanted) missing += (missing.empty() ? "" : ", ") + n;
    r.status = Status::NotFound("the backed-up objects reference " + kind + " that do not exist" + k.where() + ": " +
                                missing + " (a restored cluster would wait for them forever)");
    return r;
  }
  const std::string manifest_file = dir + "/manifest.json";
  if (r.status = write_private(manifest_file, manifest.dump(2) + "\n"); !r.status.ok()) return r;
  ctx.log("backed up " + std::to_string(files.size()) + " " + kind + " to " + dir);
  r.outputs = {{"files", files}, {"manifest", manifest_file}, {"count", files.size()}};
  return r;
}

// The Secrets among the files an earlier process wrote: their data is tainted again.
Status retaint(StepContext& ctx, const json& outputs) {
  for (const json& file : outputs.value("files", json::array())) {
    if (!file.is_string()) continue;
    std::ifstream in(file.get<std::string>());
    if (json o = json::parse(in, nullptr, false); o.is_object()) taint_secret_data(ctx, o);
  }
  return Status::Ok();
}

}  // namespace

StepImpl backup_step() {
  StepImpl impl;
  impl.type = "backup";
  impl.render = render;
  impl.run = run;
  impl.retaint = retaint;
  return impl;
}

}  // namespace ferry::engine
