// `backup`: objects of one kind, chosen by names, a name prefix or regex, a label selector or
// an owner, minus excluded names and Secret types, written one JSON file per object under
// RUN_DIR/backups/STEP/ (0600 in 0700 directories), cleaned of status and of the metadata the
// server sets, so `restore` can create them elsewhere. A Secret's data is tainted as it is read.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "engine/run/durable_file.h"
#include "engine/steps/kube_steps.h"

namespace ferry::engine {
namespace {

using kube_step::kubectl_for;
using kube_step::str;

// Set by the server; meaningless (or refused) on another cluster.
constexpr const char* kServerMetadata[] = {"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields",
                                           "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"};

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

bool chosen(const StepContext& ctx, const json& o) {
  const std::string name = o["metadata"].value("name", "");
  if (std::string p = str(ctx, "name_prefix"); !p.empty() && name.rfind(p, 0) != 0) return false;
  if (std::string re = str(ctx, "name_regex"); !re.empty() && !std::regex_search(name, std::regex(re))) return false;
  if (std::string owner = str(ctx, "owner"); !owner.empty() && !owned_by(o, owner)) return false;
  if (any_match(ctx.arg("exclude_names", json::array()), name)) return false;
  for (const json& t : ctx.arg("exclude_types", json::array())) {
    if (o.value("type", "") == t) return false;
  }
  return true;
}

json cleaned(const StepContext& ctx, json o) {
  for (const char* k : kServerMetadata) o["metadata"].erase(k);
  if (o["metadata"].contains("annotations")) {
    o["metadata"]["annotations"].erase("kubectl.kubernetes.io/last-applied-configuration");
    if (o["metadata"]["annotations"].empty()) o["metadata"].erase("annotations");
  }
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
  std::vector<std::string> args = list_args(ctx);
  args.insert(args.end(), {"-o", "json"});
  Action a = kubectl_for(ctx).action(args);
  a.note = "one file per chosen object under " + backup_dir(ctx) + "/, without status and server-set metadata";
  return {a};
}

Status write_private(const std::string& path, const std::string& text) {
  std::string error;
  return write_file_durably(path, text, &error) ? Status::Ok() : Status::Failed(error);
}

StepResult run(StepContext& ctx) {
  StepResult r;
  kube::Kubectl k = kubectl_for(ctx);
  const std::string kind = str(ctx, "kind");
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
      if (!chosen(ctx, o)) continue;
    } catch (const std::regex_error& e) {
      r.status = Status::Invalid("name_regex or exclude_names: not a valid regular expression: " + std::string(e.what()));
      return r;
    }
    json c = cleaned(ctx, o);
    const std::string name = c["metadata"].value("name", "");
    const std::string file = dir + "/" + kube_step::file_safe(c.value("kind", "Object") + "-" + name) + ".json";
    if (r.status = write_private(file, c.dump(2) + "\n"); !r.status.ok()) return r;
    files.push_back(file);
    manifest.push_back({{"file", file}, {"apiVersion", c.value("apiVersion", "")}, {"kind", c.value("kind", "")},
                        {"name", name}, {"namespace", c["metadata"].value("namespace", "")}});
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
