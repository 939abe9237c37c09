#include "dsl/step_types.h"

namespace ferry::dsl {
namespace {

using K = Type::Kind;

StructField field(std::string name, Type type, std::string doc, json default_value = nullptr) {
  return StructField{std::move(name), std::move(type), false, std::move(default_value), std::move(doc)};
}

StructField required(std::string name, Type type, std::string doc) {
  return StructField{std::move(name), std::move(type), true, nullptr, std::move(doc)};
}

const Type kString = scalar(K::String);
const Type kInt = scalar(K::Int);
const Type kBool = scalar(K::Bool);
const Type kDuration = scalar(K::Duration);
const Type kObject = scalar(K::Object);
const Type kAny = scalar(K::Any);

std::vector<StepSchema> build_schemas() {
  const StructField ns = field("namespace", kString, "Namespace of the objects.");
  return {
      {"patch", "Merge patch or JSON patch one object.", true, true, true, false,
       {ns,
        required("object", kString, "The object as `resource/name`, e.g. `hostedclusters/jdoe-hosted`."),
        field("merge", kObject, "A JSON merge patch (RFC 7386)."),
        field("json", list_of(kObject), "A JSON patch (RFC 6902): a list of operations."),
        field("ignore_not_found", kBool, "A missing object is not an error: there is nothing to patch.", false)},
       {{"merge", "json"}},
       {{"patched", kObject, false,
         "The paths the patch touched (JSON pointers), each with its value after the patch; not the whole object."}},
       "patched"},
      {"scale", "Set the replicas of deployments or statefulsets.", true, true, true, true,
       {required("namespace", kString, "Namespace of the workloads."),
        field("kind", enum_of({"deployment", "statefulset"}), "Which kind of workload.", "deployment"),
        field("names", list_of(kString), "Workloads to scale, by name (one kubectl call for all)."),
        field("all", kBool, "Scale every workload of `kind` in the namespace."),
        required("replicas", kInt, "The replica count to set.")},
       {{"names", "all"}},
       {{"previous", map_of(kInt), false, "Replica counts before the step, by workload name."}},
       ""},
      {"exec", "Run a command in a pod; its stdout is captured.", true, false, false, false,
       {required("namespace", kString, "Namespace of the pod."),
        required("pod", kString, "Pod name."),
        field("container", kString, "Container name (the pod's default container if unset)."),
        required("command", list_of(kString), "The command and its arguments (no shell unless you run one)."),
        field("stdin_file", kString, "A local file sent to the command's stdin."),
        field("stdout_file", kString, "Write stdout to this file instead of capturing it."),
        field("max_output", kInt, "Cap in bytes on captured stdout.", 1048576),
        field("accept_exit_codes", list_of(kInt), "Exit codes that count as success.", json::array({0}))},
       {},
       {{"stdout", kString, false, "Captured standard output."},
        {"exit_code", kInt, false, "The command's exit status."}},
       "stdout"},
      {"snapshot", "Save an etcd snapshot (`etcdctl snapshot save` + `status`).", false, false, true, false,
       {ns,
        field("pod", kString, "The etcd pod to snapshot in (via exec; needs `cluster`)."),
        field("container", kString, "Container of the etcd pod.", "etcd"),
        field("endpoint", kString, "A reachable etcd endpoint, instead of a pod."),
        field("path", kString, "Where the snapshot is written.", "/var/lib/data/snapshot.db"),
        field("ca_file", kString, "etcd CA bundle (default: found from the OpenShift layout)."),
        field("cert_file", kString, "Client certificate.", "/etc/etcd/tls/client/etcd-client.crt"),
        field("key_file", kString, "Client key.", "/etc/etcd/tls/client/etcd-client.key")},
       {{"pod", "endpoint"}},
       {{"path", kString, false, "Path of the snapshot file (in the pod, or local)."},
        {"size", kInt, false, "Size in bytes, the trailing SHA-256 included."},
        {"hash", kInt, false, "etcd's hash of the snapshot."},
        {"revision", kInt, false, "etcd revision at the snapshot."},
        {"total_keys", kInt, false, "Number of keys in the snapshot."}},
       "path"},
      {"upload", "Upload a file to S3, from this machine or from a pod (multipart, parallel, verified).", false, false,
       true, false,
       {required("from", kAny, "The file: a path, or a step whose output is one (e.g. a snapshot). With `pod`, a path "
                               "in that pod."),
        required("to", kString, "Destination as `s3://bucket/key`."),
        field("pod", kString, "The pod the file is in (needs `cluster`). Unset: a file on the machine running ferry."),
        field("namespace", kString, "Namespace of the pod."),
        field("container", kString, "Container of the pod (the pod's default container if unset)."),
        field("mode", enum_of({"stream", "in-pod"}),
              "How a pod's file travels. `stream`: out through `kubectl exec ... cat`, uploaded by ferry (the pod "
              "needs only `cat`). `in-pod`: `curl` in the pod sends each part to a presigned URL (the pod needs "
              "`sh`, `dd`, `curl`, `md5sum`, `sha256sum` and a route to S3). Credentials never enter the pod.",
              "stream"),
        field("region", kString, "AWS region of the bucket."),
        field("endpoint", kString, "Custom S3 endpoint (S3-compatible stores); path-style addressing."),
        field("profile", kString, "Profile in the AWS credentials file."),
        field("part_size", kInt, "Multipart part size in bytes (at least 5 MiB; raised to fit 10,000 parts).",
              8 * 1024 * 1024),
        field("parallelism", kInt, "Parts uploaded at once (1 to 64).", 4)},
       {},
       {{"url", kString, false, "The `s3://` URL of the object."},
        {"bucket", kString, false, "The bucket."},
        {"key", kString, false, "The object's key."},
        {"size", kInt, false, "Bytes uploaded."},
        {"sha256", kString, false, "SHA-256 (hex) of the whole object, computed as it was read."},
        {"etag", kString, false, "The object's ETag."},
        {"version_id", kString, false, "The object's version id (\"\" when the bucket is not versioned)."},
        {"parts", kInt, false, "Parts of the multipart upload (0: one PUT)."}},
       "url"},
      {"create", "Create objects; an identical existing object counts as success.", true, true, true, false,
       {ns,
        field("object", kObject, "One object to create."),
        field("objects", list_of(kObject), "Objects to create, in order.")},
       {{"object", "objects"}},
       {{"created", list_of(kString), false, "`kind/name` of each object created."}},
       ""},
      {"apply", "Server-side apply of objects from files, a directory or inline.", true, false, true, false,
       {ns,
        field("files", list_of(kString), "Files of objects (YAML or JSON)."),
        field("directory", kString, "A directory of object files."),
        field("objects", list_of(kObject), "Inline objects."),
        field("field_manager", kString, "Server-side apply field manager.", "ferry"),
        field("force_conflicts", kBool, "Take ownership of fields other managers hold.", false)},
       {{"files", "directory", "objects"}},
       {{"applied", list_of(kString), false, "`kind/name` of each object applied."}},
       ""},
      {"delete", "Delete objects by name, label selector or all of a kind.", true, false, true, true,
       {ns,
        required("kind", kString, "Resource kind, e.g. `routes` or `machines.cluster.x-k8s.io`."),
        field("names", list_of(kString), "Objects to delete, by name."),
        field("selector", kString, "A label selector."),
        field("all", kBool, "Every object of `kind` in the namespace."),
        field("ignore_not_found", kBool, "A missing object is not an error.", false),
        field("strip_finalizers", kBool,
              "Remove each object's finalizers, then delete it only if nothing changed it meanwhile (a controller "
              "that put a finalizer back makes it try again): no controller ever sees it deleted with a finalizer on. "
              "For objects whose controllers are stopped.",
              false),
        field("remove_finalizers_before", list_of(kString),
              "Finalizers to take off each object before it is deleted (only these, from the version just read), "
              "the delete then made on the precondition that nothing changed the object since (else both again): "
              "those whose controller's delete action must not run."),
        field("remove_finalizers_after", list_of(kString),
              "Finalizers to take off once the objects are being deleted, those nothing will act on (their "
              "controller is stopped); the API server lets nobody add one then. The other finalizers stay for "
              "their running controllers, and `wait` waits for them to finish."),
        field("wait", kBool, "Wait until the objects are gone.", true),
        field("wait_timeout", kDuration, "How long to wait for them to go.", "5m")},
       {{"names", "selector", "all"}},
       {{"deleted", list_of(kString), false, "`kind/name` of each object deleted."}},
       "",
       {{"strip_finalizers", "remove_finalizers_before"}, {"strip_finalizers", "remove_finalizers_after"}}},
      {"backup", "Export objects to files, cleaned of status, server-set metadata, owner references and finalizers.",
       true, false, true, false,
       {required("namespace", kString, "Namespace of the objects."),
        required("kind", kString, "Resource kind."),
        field("names", list_of(kString), "By name."),
        field("name_prefix", kString, "Names starting with this."),
        field("prefix_owners", kString,
              "With `name_prefix`: the kind whose objects in the namespace own names by prefix (`hostedclusters`); "
              "a name that starts with a longer one of theirs and `-` is that one's and is left out."),
        field("name_regex", kString, "Names matching this regular expression."),
        field("selector", kString, "A label selector."),
        field("owner", kString, "Objects owned by this `kind/name`."),
        field("referenced_from", kAny,
              "Backup steps whose objects name the ones to back up, at the `references` paths (all must exist)."),
        field("references", list_of(kString),
              "Paths in those objects that hold names, `[*]` for every list element, e.g. `spec.pullSecret.name`.",
              json::array()),
        field("exclude_names", list_of(kString), "Names to skip (regular expressions)."),
        field("exclude_types", list_of(kString), "Secret types to skip, e.g. `kubernetes.io/service-account-token`."),
        field("drop", list_of(kString), "Extra paths to remove, e.g. `spec.pausedUntil`.", json::array()),
        field("keep_status", kBool, "Keep `status` (dropped by default).", false)},
       {},
       {{"files", list_of(kString), false, "One file per object, under the run directory."},
        {"manifest", kString, false, "A manifest of the files with their kinds and names."},
        {"count", kInt, false, "Number of objects backed up."}},
       "files"},
      {"restore", "Create backed-up objects in kind order, with transforms; the inverse deletes what it created.", true,
       true, true, false,
       {required("from", kAny, "A backup step (or a list of them)."),
        field("namespace", kString, "Override the objects' namespace."),
        field("kind_order", list_of(kString), "Kinds applied first, in this order.", json::array()),
        field("set", map_of(kAny), "Paths to set, e.g. `spec.etcd.managed.storage.restoreSnapshotURL`.", json::object()),
        field("remove", list_of(kString), "Paths to remove, e.g. `spec.pausedUntil`.", json::array()),
        field("on_exists", enum_of({"skip", "fail", "replace"}), "What to do when an object already exists.", "fail")},
       {},
       {{"applied", list_of(kString), false, "`kind/name` of each object restored."},
        {"restored_at", kString, false, "When the step began creating them (RFC 3339, UTC)."}},
       ""},
      {"wait", "Wait until a condition holds: read, then a watch of the objects (read again at each change).", false, false,
       true, false,
       {ns,
        field("object", kString, "The object as `resource/name`; with `jsonpath` + `equals`, `condition` or `exists`."),
        field("kind", kString, "Resource kind to count (with `count`)."),
        field("selector", kString, "Label selector for `count`."),
        field("jsonpath", kString, "A JSONPath into the object, compared with `equals`; with `count`, a filter."),
        field("equals", kAny, "The value `jsonpath` must have (on `object`, or on each counted object)."),
        field("condition", kString, "A status condition that must be True, e.g. `Available`."),
        field("exists", kBool, "Wait until the object exists (true) or is gone (false)."),
        field("count", kInt, "Wait until at least this many objects match (`kind`, `selector`, `jsonpath` = `equals`)."),
        field("max_count", kInt, "Wait until at most this many objects match (0: until none is left)."),
        field("time_jsonpath", kString, "With `count`: a time in each object (RFC 3339) that must be later than `newer_than`."),
        field("newer_than", kString, "The time `time_jsonpath` must be later than, e.g. a restore's `restored_at`."),
        field("probe", list_of(kString), "A local command; done when it exits 0."),
        field("interval", kDuration,
              "Time between polls of a `probe`, and before reading again after an error; a watch reads again at "
              "least every five intervals (5 to 30 s). Where a kind is not exactly one resource of the cluster, "
              "`kubectl wait` watches what it can and the rest (a count of at least N, a filter, a time) is polled.",
              "10s")},
       {{"object", "count", "max_count", "probe"}},
       {},
       ""},
      {"assert", "Check one object once: it exists or not, or a JSONPath of it has a value; fails with `message`.", true,
       false, true, false,
       {ns,
        required("object", kString, "The object as `resource/name`."),
        field("jsonpath", kString, "A JSONPath into the object, checked with `equals`, `not_equals` or `empty`."),
        field("equals", kAny, "The value `jsonpath` must have."),
        field("not_equals", kAny, "A value `jsonpath` must not have."),
        field("empty", kBool, "`jsonpath` must be empty or missing (true), or set (false)."),
        field("exists", kBool, "The object must exist (true) or must not (false)."),
        required("message", kString, "What is wrong and what to do, when the check fails.")},
       {{"equals", "not_equals", "empty", "exists"}},
       {},
       "",
       {{"jsonpath", "exists"}}},
      {"presign", "Make a presigned S3 URL (the signature is a secret).", false, false, true, false,
       {required("url", kString, "The object as `s3://bucket/key`."),
        field("method", enum_of({"GET", "PUT"}), "HTTP method the URL allows.", "GET"),
        field("expires", kDuration, "How long the URL stays valid.", "1h"),
        field("region", kString, "AWS region of the bucket."),
        field("endpoint", kString, "Custom S3 endpoint."),
        field("profile", kString, "Profile in the AWS credentials file."),
        field("max_length", kInt, "Fail when the URL is longer (restoreSnapshotURL takes 1024); 0: any length.", 0)},
       {},
       {{"url", kString, true, "The presigned URL."},
        {"signed_at", kInt, false,
         "When the URL was signed (Unix seconds): a resumed run signs it again at that time, to redact it."}},
       "url"},
      {"s3_check", "Check before anything changes that a bucket answers and URLs presigned for it will work.", false,
       false, true, false,
       {required("url", kString, "The object a URL will be presigned for, as `s3://bucket/key` (it need not exist)."),
        field("expires", kDuration, "How long the URLs presigned later must stay valid.", "1h"),
        field("max_url_length", kInt, "Fail when such a URL would be longer; 0: any length.", 0),
        field("region", kString, "AWS region of the bucket."),
        field("endpoint", kString, "Custom S3 endpoint."),
        field("profile", kString, "Profile in the AWS credentials file.")},
       {},
       {},
       ""},
      {"dns_wait", "Wait until a Route53 zone holds at most N records for a domain.", false, false, true, false,
       {required("zone_id", kString, "The hosted zone id."),
        required("name", kString, "The domain whose records are counted."),
        field("max_records", kInt, "Done when at most this many records remain.", 2),
        field("interval", kDuration, "Time between polls.", "10s"),
        field("profile", kString, "Profile in the AWS credentials file.")},
       {},
       {{"count", kInt, false, "Records left when done."}},
       ""},
      {"shell", "Run a local command (the escape hatch).", false, false, false, false,
       {required("argv", list_of(kString), "The command and its arguments; no shell unless you run one."),
        field("env", map_of(kString), "Extra environment variables.", json::object()),
        field("cwd", kString, "Working directory."),
        field("stdin", kString, "Text sent to stdin."),
        field("accept_exit_codes", list_of(kInt), "Exit codes that count as success.", json::array({0}))},
       {},
       {{"stdout", kString, false, "Captured standard output."},
        {"exit_code", kInt, false, "The command's exit status."}},
       "stdout"},
      {"approve", "A gate: asks a human on a TTY; fails without one unless --yes.", false, false, true, false,
       {required("message", kString, "What the human approves.")},
       {},
       {},
       ""},
      {"noop", "Does nothing; a join point in the graph.", false, true, true, false, {}, {}, {}, ""},
  };
}

}  // namespace

const std::vector<StepSchema>& step_schemas() {
  static const std::vector<StepSchema> schemas = build_schemas();
  return schemas;
}

const StepSchema* find_step_schema(const std::string& name) {
  for (const StepSchema& s : step_schemas()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::vector<std::string> step_type_names() {
  std::vector<std::string> names;
  for (const StepSchema& s : step_schemas()) names.push_back(s.name);
  return names;
}

const std::vector<std::string>& error_classes() {
  static const std::vector<std::string> classes = {"transient", "timeout",      "conflict",
                                                   "not_found", "already_exists", "forbidden",
                                                   "unauthorized", "invalid"};
  return classes;
}

const Type& retry_type() {
  static const Type type = struct_of({
      field("attempts", kInt, "Attempts in all, the first included.", 1),
      field("backoff",
            struct_of({required("kind", enum_of({"exponential", "constant"}), "Backoff shape."),
                       field("initial", kDuration, "First delay (exponential)."),
                       field("max", kDuration, "Longest delay (exponential)."),
                       field("interval", kDuration, "The delay (constant).")}),
            "Delay between attempts: `exponential(initial, max)` or `constant(interval)`.",
            json{{"kind", "exponential"}, {"initial", "1s"}, {"max", "30s"}}),
      field("jitter", kBool, "Randomize delays by up to half.", true),
      field("on", list_of(enum_of(error_classes())), "Error classes worth another attempt.",
            json::array({"transient", "timeout"})),
  });
  return type;
}

const std::vector<StructField>& common_step_fields() {
  static const std::vector<StructField> fields = {
      field("description", kString, "What the step is for, shown in the dry run."),
      field("cluster", scalar(K::Cluster), "The cluster the step acts on."),
      field("after", list_of(scalar(K::Step)), "Steps that must finish first."),
      field("when", kBool, "Run only if true (may depend on earlier steps' outputs)."),
      field("retry", retry_type(), "Retry policy (default: the plan's)."),
      field("timeout", kDuration, "Time limit for the whole step, retries included."),
      field("rollback", enum_of({"auto", "none"}), "`auto` (the type's inverse), `none`, or a block of steps."),
      field("pool", kString, "A concurrency pool the step counts against."),
      field("holds", list_of(kString),
            "Shared things the run holds a Lease for on the step's cluster (`hostedcluster/NS/NAME`)."),
  };
  return fields;
}

const std::vector<StructField>& plan_settings() {
  static const std::vector<StructField> fields = {
      field("description", kString, "What the plan does."),
      field("on_failure", enum_of({"rollback", "stop"}), "What a failed run does.", "stop"),
      field("timeout", kDuration, "Time limit for the whole run."),
      field("retry", retry_type(), "Default retry policy of every step."),
      field("pools", map_of(kInt), "Depth of each named pool its steps count against (--pool overrides)."),
  };
  return fields;
}

const std::vector<StructField>& phase_settings() {
  static const std::vector<StructField> fields = {
      field("description", kString, "What the phase does."),
      field("on_failure", enum_of({"rollback", "stop"}), "Overrides the plan's on_failure for this phase."),
  };
  return fields;
}

const std::vector<StructField>& cluster_fields() {
  static const std::vector<StructField> fields = {
      required("kubeconfig", kString, "Path of the kubeconfig file."),
      field("context", kString, "Context in the kubeconfig."),
      field("description", kString, "Which cluster this is."),
  };
  return fields;
}

}  // namespace ferry::dsl
