// Step types over the kube backend (engine/kube): each runs kubectl against the step's
// `cluster` (its kubeconfig and context) in the step's `namespace`.
#pragma once

#include "engine/kube/kubectl.h"
#include "engine/run/step.h"

namespace ferry::engine {

StepImpl patch_step();   // patch.cc
StepImpl scale_step();   // scale.cc
StepImpl create_step();  // create.cc
StepImpl delete_step();  // delete.cc
StepImpl exec_step();    // exec.cc
StepImpl snapshot_step();  // snapshot.cc
StepImpl apply_step();     // apply.cc
StepImpl backup_step();    // backup.cc
StepImpl restore_step();   // restore.cc

namespace kube_step {

// kubectl for this step: Services::kubectl, the cluster's kubeconfig and context, and the
// step's `namespace` field (if it has one).
kube::Kubectl kubectl_for(const StepContext& ctx);
// The string field `name`, or "" when unset.
std::string str(const StepContext& ctx, const std::string& name);
// `spec.etcd.managed` as a JSON pointer (`/spec/etcd/managed`); a plan names paths with dots.
json::json_pointer dotted_path(const std::string& path);
// Where an object the plan gives differs from the existing one ("data.from"), or "" when every
// field the plan gives (labels and annotations included) has that value there: the server's
// defaults, status and metadata are not differences.
std::string differs_at(const json& given, const json& existing);
// `id` made safe as a file name ("snap[etcd-0]" -> "snap_etcd-0_").
std::string file_safe(const std::string& id);

}  // namespace kube_step
}  // namespace ferry::engine
