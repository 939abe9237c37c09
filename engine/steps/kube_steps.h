// Step types over the kube backend (engine/kube): each runs kubectl against the step's
// `cluster` (its kubeconfig and context) in the step's `namespace`.
#pragma once

#include "engine/kube/kubectl.h"
#include "engine/run/step.h"
#include "engine/steps/services.h"

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
StepImpl assert_step();    // assert.cc

namespace kube_step {

// kubectl for this step: Services::kubectl, the cluster's kubeconfig and context, and the
// step's `namespace` field (if it has one).
kube::Kubectl kubectl_for(const StepContext& ctx);
// The string field `name`, or "" when unset.
std::string str(const StepContext& ctx, const std::string& name);
// A JSONPath as kubectl's `-o jsonpath` takes it: `{.status.x}` from `.status.x` or `{.status.x}`.
std::string braced_jsonpath(std::string path);
// `spec.etcd.managed` as a JSON pointer (`/spec/etcd/managed`); a plan names paths with dots,
// and a key that holds dots in brackets and quotes: `metadata.annotations["example.com/x"]`.
json::json_pointer dotted_path(const std::string& path);
// The strings found at `path` in `object`, where `[*]` stands for every element of a list
// (`spec.configuration.oauth.identityProviders[*].openID.clientSecret.name`); a path that leads
// nowhere finds nothing.
std::vector<std::string> values_at(const json& object, const std::string& path);
// Removes what ties an object to the cluster it was read from: the metadata the server sets,
// owner references (the owners' UIDs are the source's, so on another cluster the garbage
// collector would delete the object) and finalizers (their controllers would act on cloud
// resources that are still the source's). One rule for backup and restore.
void drop_foreign_metadata(json* object);
// The objects of backup steps: `from` is a backup step (its outputs), a file, or a list of
// those, nested. A Secret's data is tainted as it is read.
Status read_backup_objects(StepContext& ctx, const json& from, std::vector<json>* objects);
// Where an object the plan gives differs from the existing one ("data.from"), or "" when every
// field the plan gives (labels and annotations included) has that value there: the server's
// defaults, status and metadata are not differences.
std::string differs_at(const json& given, const json& existing);
// `id` made safe as a file name ("snap[etcd-0]" -> "snap_etcd-0_").
std::string file_safe(const std::string& id);

// `exec [-i] POD [-c CONTAINER] -- COMMAND...` for the step's `pod` and `container` fields (no
// TTY, no shell unless the command runs one): kubectl's arguments, before its global flags.
std::vector<std::string> pod_exec_args(const StepContext& ctx, const std::vector<std::string>& command,
                                       bool with_stdin = false);
// "Kind/name" of an object, for messages and outputs.
std::string label(const json& object);
// Reads the existing copy of `object` and says where it differs from it (`differs_at`; "metadata"
// when it cannot be read back): what a create that got AlreadyExists needs to know.
Status existing_differs(const kube::Kubectl& k, const json& object, const CancelToken& cancel, std::string* where);

// The identity of an object (apiVersion, kind, name, namespace or `default_ns`): enough to get,
// patch or delete it with `-f -`.
json ref_of(const json& object, const std::string& default_ns);
// `objects` as a List, for one `kubectl ... -f -`.
json as_list(const std::vector<json>& objects);
// Those of `refs` that do not exist yet (one `kubectl get -f - --ignore-not-found`): what a step
// that creates them journals for its inverse.
Status absent_objects(const kube::Kubectl& k, const std::vector<json>& refs, const CancelToken& cancel, json* absent);

// How create_objects words its calls and treats an object that exists already.
struct CreateObjects {
  std::string verb;            // "create", "restore": each call is described as "VERB Kind/name"
  std::string given_by;        // "the plan", "the backup": what a difference is reported against
  std::string advice;          // after a difference: what to do about it
  std::string as_given;        // logged for an existing identical object: "as the plan gives it"
  bool replace = false;        // server-side apply instead of create: an existing one takes the fields given
  bool skip_existing = false;  // an existing one is left as it is (and logged)
};
// Creates `objects`, after journaling (ctx.save_undo, {"created": [refs]}) which of them do not
// exist yet, so the inverse (delete_created) deletes those and only those. Those not there go in
// one kubectl call (a List, in the given order; a CRD ends a call), the existing ones after them
// one call each. An existing object identical to the given one counts as created (an earlier
// attempt's: a re-run is harmless); one that differs fails the step with where it differs.
// `made`: the labels of those created, replaced or found identical, in the given order.
Status create_objects(StepContext& ctx, const kube::Kubectl& k, const std::vector<json>& objects,
                      const CreateObjects& how, json* made);
// Deletes the object `ref` names so that no controller ever sees it being deleted while a
// finalizer is on it (a running controller's delete path would act on the deletion even when
// paused, controllers.md §3): its finalizers are removed, then it is deleted on the
// precondition that it has not changed since; a controller that put a finalizer back in between
// makes the delete fail with Conflict, and both are done again (a few times, then it fails and
// says a controller still runs). Without finalizers the deletion is immediate. A missing object
// is fine.
Status delete_without_finalizers(const kube::Kubectl& k, const json& ref, const CancelToken& cancel);
std::vector<Action> render_delete_without_finalizers(const std::string& what);
// Removes the finalizers named in `names` from the object `ref` names, if it has them; the others
// stay for their controllers. It patches the version it read (a change meanwhile, say a
// controller's, is a Conflict: read and patch again, a few times). A missing object is fine.
Status remove_finalizers(const kube::Kubectl& k, const json& ref, const std::vector<std::string>& names,
                         const CancelToken& cancel);
Action render_remove_finalizers(const std::vector<std::string>& names, const std::string& what);
// Takes `names` off the object `ref` names (as remove_finalizers), then deletes it on the
// precondition that it has not changed since (its uid and resourceVersion): a controller that put
// one back in between makes the delete fail with Conflict, and both are done again (a few
// times). The other finalizers stay: the object is being deleted when this returns, maybe not
// gone. With a uid in `ref`, an object of that name with another uid counts as gone. A missing
// object is fine.
Status delete_without(const kube::Kubectl& k, const json& ref, const std::vector<std::string>& names,
                      const CancelToken& cancel);

// The inverse of a step that journaled `{"created": [refs]}` (absent_objects' answer): deletes
// those, the last created first, and waits until they are gone (up to 5 minutes: a stuck
// finalizer fails the compensation instead of hanging the rollback). With `strip_finalizers`,
// each goes through delete_without_finalizers, so no controller acts on the deletion.
Status delete_created(const StepContext& ctx, const json& undo, bool strip_finalizers);
std::vector<Action> render_delete_created(const StepContext& ctx, bool strip_finalizers);

}  // namespace kube_step
}  // namespace ferry::engine
