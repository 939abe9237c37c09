// `snapshot`: `etcdctl snapshot save` (the procedure's command as written), then `snapshot status
// -w json` and the file's size: in the etcd pod, all three in one `kubectl exec` (each exec is a
// process and a round trip, and the snapshot is taken while the control plane is down), or
// against a reachable `endpoint` with the local etcdctl. Idempotent: a re-run saves a fresh
// snapshot over the old file.
#include <sstream>

#include "engine/base/subprocess.h"
#include "engine/steps/kube_steps.h"

namespace ferry::engine {
namespace {

using kube_step::kubectl_for;
using kube_step::str;

// The etcd CA moved in OpenShift 4.12; older hosted clusters keep it beside the client cert.
constexpr const char* kCaLayouts[] = {"/etc/etcd/tls/etcd-ca/ca.crt", "/etc/etcd/tls/client/etcd-client-ca.crt"};

bool in_pod(const StepContext& ctx) { return !str(ctx, "pod").empty(); }

std::string path_of(const StepContext& ctx) {
  std::string p = str(ctx, "path");
  return p.empty() ? "/var/lib/data/snapshot.db" : p;
}

std::vector<std::string> etcdctl(const StepContext& ctx, const std::string& ca, std::vector<std::string> args) {
  std::vector<std::string> argv = {"env", "ETCDCTL_API=3", "/usr/bin/etcdctl"};
  if (!ca.empty()) argv.insert(argv.end(), {"--cacert", ca});
  argv.insert(argv.end(), {"--cert", str(ctx, "cert_file"), "--key", str(ctx, "key_file")});
  argv.push_back("--endpoints=" + (in_pod(ctx) ? std::string("localhost:2379") : str(ctx, "endpoint")));
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// Runs `command` in the pod (or here); its stdout.
Status run_command(StepContext& ctx, const std::vector<std::string>& command, const std::string& what, std::string* out) {
  if (in_pod(ctx)) {
    kube::Kubectl k = kubectl_for(ctx);
    kube::CallResult c = k.run(kube_step::pod_exec_args(ctx, command), ctx.cancel, what + " in pod " + str(ctx, "pod") + k.where());
    *out = c.out;
    return c.status;
  }
  ProcessSpec spec;
  spec.argv = command;
  ProcessResult p = run_process(spec, ctx.cancel);
  *out = p.out;
  if (!p.status.ok()) return Status::Error(p.status.error_class(), what + ": " + p.status.message());
  return kube::classify(p.exit_code, p.err, what);
}

std::string ca_of(StepContext& ctx) {
  if (std::string ca = str(ctx, "ca_file"); !ca.empty()) return ca;
  if (!in_pod(ctx)) return "";
  std::string ignored;
  for (const char* ca : kCaLayouts) {
    if (run_command(ctx, {"test", "-f", ca}, "look for the etcd CA", &ignored).ok()) return ca;
  }
  return kCaLayouts[0];  // etcdctl's error then names the file
}

// The three commands in the pod as one `sh -c`: the script takes the file, then etcdctl's argv
// (so no argument is ever quoted into the script). It prints the status JSON, then the size, on
// stdout; etcdctl's own lines go to stderr, and a failing command says which it was.
constexpr const char* kInPodScript =
    "p=$1; shift\n"
    "\"$@\" snapshot save \"$p\" >&2 || exit\n"
    "\"$@\" snapshot status \"$p\" -w json || { echo \"etcdctl snapshot status $p failed\" >&2; exit 1; }\n"
    "echo\n"
    "stat -c %s \"$p\" || { echo \"stat $p failed\" >&2; exit 1; }\n";

std::vector<std::string> in_pod_command(const StepContext& ctx, const std::string& ca) {
  std::vector<std::string> argv = {"sh", "-c", kInPodScript, "sh", path_of(ctx)};
  for (std::string& a : etcdctl(ctx, ca, {})) argv.push_back(std::move(a));
  return argv;
}

std::vector<std::vector<std::string>> local_commands(const StepContext& ctx, const std::string& ca) {
  return {etcdctl(ctx, ca, {"snapshot", "save", path_of(ctx)}),
          {"env", "ETCDCTL_API=3", "/usr/bin/etcdctl", "snapshot", "status", path_of(ctx), "-w", "json"},
          {"stat", "-c", "%s", path_of(ctx)}};
}

std::vector<Action> render(const StepContext& ctx) {
  if (in_pod(ctx)) {
    const std::string ca = str(ctx, "ca_file").empty() ? "<" + std::string(kCaLayouts[0]) + " or " + kCaLayouts[1] + ">"
                                                       : str(ctx, "ca_file");
    Action a = kubectl_for(ctx).action(kube_step::pod_exec_args(ctx, in_pod_command(ctx, ca)));
    a.note = "etcdctl snapshot save, then its status and the file's size";
    return {a};
  }
  std::vector<Action> actions;
  for (auto& c : local_commands(ctx, str(ctx, "ca_file"))) {
    Action a;
    a.argv = std::move(c);
    actions.push_back(std::move(a));
  }
  return actions;
}

// Runs the snapshot's commands; *status_json is what `snapshot status -w json` printed, *size
// what `stat` did.
Status take_snapshot(StepContext& ctx, std::string* status_json, std::string* size) {
  const std::string ca = ca_of(ctx);
  if (!in_pod(ctx)) {
    const auto commands = local_commands(ctx, ca);
    std::string ignored;
    if (Status s = run_command(ctx, commands[0], "etcdctl snapshot save", &ignored); !s.ok()) return s;
    if (Status s = run_command(ctx, commands[1], "etcdctl snapshot status", status_json); !s.ok()) return s;
    return run_command(ctx, commands[2], "size of " + path_of(ctx), size);
  }
  std::string out;
  if (Status s = run_command(ctx, in_pod_command(ctx, ca), "etcdctl snapshot save", &out); !s.ok()) return s;
  // The size is the last line; the JSON is what comes before it.
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  const size_t last = out.rfind('\n');
  *size = last == std::string::npos ? "" : out.substr(last + 1);
  *status_json = last == std::string::npos ? out : out.substr(0, last);
  return Status::Ok();
}

StepResult run(StepContext& ctx) {
  StepResult r;
  const std::string path = path_of(ctx);
  std::string out;
  std::string size;
  if (r.status = take_snapshot(ctx, &out, &size); !r.status.ok()) return r;
  json status = json::parse(out, nullptr, false);
  if (!status.is_object()) {
    r.status = Status::Invalid("etcdctl snapshot status printed no JSON: " + out.substr(0, 200));
    return r;
  }
  r.outputs = {{"path", path},
               {"size", std::stoll("0" + size.substr(0, size.find_first_not_of("0123456789")))},
               {"hash", status.value("hash", int64_t(0))},
               {"revision", status.value("revision", int64_t(0))},
               {"total_keys", status.value("totalKey", int64_t(0))}};
  ctx.log("snapshot " + path + ": " + r.outputs["size"].dump() + " bytes, revision " + r.outputs["revision"].dump() +
          ", " + r.outputs["total_keys"].dump() + " keys");
  return r;
}

std::string implicit_pool(const StepContext& ctx) {
  if (!in_pod(ctx)) return "";
  return "exec:" + (ctx.cluster ? ctx.cluster->name : std::string()) + "/" + str(ctx, "namespace") + "/" + str(ctx, "pod");
}

}  // namespace

StepImpl snapshot_step() {
  StepImpl impl;
  impl.type = "snapshot";
  impl.render = render;
  impl.run = run;
  impl.implicit_pool = implicit_pool;
  return impl;
}

}  // namespace ferry::engine
