// The kube backend without a cluster: argv building and the classification of kubectl's
// stderr. The texts are what kubectl 1.32 printed against the sandbox (tests/sandbox/apisim.py)
// for each failure, and what it prints when it cannot reach a server.
#include "engine/kube/kubectl.h"

#include <gtest/gtest.h>

namespace ferry::engine::kube {
namespace {

ErrorClass class_of(const std::string& err, int exit_code = 1) { return classify(exit_code, err, "x").error_class(); }

TEST(Classify, ExitZeroIsOk) { EXPECT_TRUE(classify(0, "Warning: unknown field \"spec.x\"\n", "patch").ok()); }

TEST(Classify, ServerReasons) {
  struct Case {
    const char* err;
    ErrorClass want;
  } cases[] = {
      {"Error from server (NotFound): hostedclusters.hypershift.openshift.io \"nope\" not found\n",
       ErrorClass::kNotFound},
      {"Error from server (NotFound): namespaces \"nowhere\" not found\n", ErrorClass::kNotFound},
      {"Error from server (AlreadyExists): error when creating \"STDIN\": configmaps \"x\" already exists\n",
       ErrorClass::kAlreadyExists},
      {"Error from server (Conflict): apisim: injected fault\n", ErrorClass::kConflict},
      {"Error from server (BadRequest): error when creating \"STDIN\": HostedCluster in version \"v1beta1\" cannot be "
       "handled as a HostedCluster: strict decoding error: unknown field \"spec.bogus\"\n",
       ErrorClass::kInvalid},
      {"The HostedCluster \"jdoe-hosted\" is invalid: spec.pausedUntil: Invalid value: \"integer\": spec.pausedUntil "
       "in body must be of type string: \"integer\"\n",
       ErrorClass::kInvalid},
      {"Error from server (Forbidden): apisim: injected fault\n", ErrorClass::kForbidden},
      {"error: You must be logged in to the server (Unauthorized)\n", ErrorClass::kUnauthorized},
      {"error: You must be logged in to the server (the server has asked for the client to provide credentials)\n",
       ErrorClass::kUnauthorized},
      {"Error from server (InternalError): apisim: injected fault\n", ErrorClass::kTransient},
      {"Error from server (ServiceUnavailable): apisim: injected fault\n", ErrorClass::kTransient},
      {"Error from server (TooManyRequests): apisim: injected fault\n", ErrorClass::kTransient},
      {"Error from server (Timeout): apisim: injected fault\n", ErrorClass::kTransient},
      {"Error from server (Unknown): apisim: injected fault\n", ErrorClass::kFailed},
      {"error: the server doesn't have a resource type \"frobnicators\"\n", ErrorClass::kInvalid},
  };
  for (const Case& c : cases) EXPECT_EQ(class_of(c.err), c.want) << c.err;
}

TEST(Classify, ConnectionRefusedIsTransientAndKlogNoiseIsDropped) {
  const std::string err =
      "E1126 13:08:34.752570     457 memcache.go:265] \"Unhandled Error\" err=\"couldn't get current server API "
      "group list: Get \\\"https://127.0.0.1:1/api?timeout=32s\\\": dial tcp 127.0.0.1:1: connect: connection "
      "refused\"\n"
      "The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n";
  Status s = classify(1, err, "get hostedclusters/jdoe-hosted");
  EXPECT_EQ(s.error_class(), ErrorClass::kTransient);
  EXPECT_EQ(s.message(), "get hostedclusters/jdoe-hosted: The connection to the server 127.0.0.1:1 was refused - "
                         "did you specify the right host or port?");
}

TEST(Classify, TimeoutsAreTransient) {
  EXPECT_EQ(class_of("Unable to connect to the server: dial tcp 10.0.0.1:6443: i/o timeout\n"), ErrorClass::kTransient);
  EXPECT_EQ(class_of("Unable to connect to the server: net/http: TLS handshake timeout\n"), ErrorClass::kTransient);
  EXPECT_EQ(class_of("error: context deadline exceeded\n"), ErrorClass::kTransient);
}

TEST(Classify, AWaitThatEndsIsATimeoutNotClientGosDeadline) {
  // `kubectl delete hc jdoe-hosted --wait --timeout=2s` while a finalizer holds it.
  const std::string err =
      "E1126 13:40:42.980478   12225 reflector.go:166] \"Unhandled Error\" err=\"k8s.io/client-go/tools/watch/"
      "informerwatcher.go:146: Failed to watch *unstructured.Unstructured: context deadline exceeded\"\n"
      "error: timed out waiting for the condition on hostedclusters/jdoe-hosted\n";
  Status s = classify(1, err, "delete");
  EXPECT_EQ(s.error_class(), ErrorClass::kTimeout);
  EXPECT_EQ(s.message(), "delete: error: timed out waiting for the condition on hostedclusters/jdoe-hosted");
}

TEST(Classify, FirstErrorLineWinsAndWarningsAreSkipped) {
  // `kubectl scale deploy kube-apiserver nope`: one scaled, one missing.
  EXPECT_EQ(class_of("Warning: something\nError from server (NotFound): deployments.apps \"nope\" not found\n"),
            ErrorClass::kNotFound);
}

TEST(Classify, UnknownTextIsFailedWithTheText) {
  Status s = classify(3, "Defaulted container \"etcd\" out of: etcd, etcd-metrics\nerr\ncommand terminated with exit code 3\n",
                      "exec in etcd-0");
  EXPECT_EQ(s.error_class(), ErrorClass::kFailed);
  EXPECT_EQ(s.message(), "exec in etcd-0: err\ncommand terminated with exit code 3");
  EXPECT_EQ(classify(2, "", "get x").message(), "get x: kubectl exited with status 2");
}

TEST(Kubectl, ArgvHasTheGlobalFlagsFirst) {
  Kubectl k(Target{"kubectl", "/k/config", "admin", "clusters"});
  EXPECT_EQ(k.argv({"get", "hc", "x"}), (std::vector<std::string>{"kubectl", "--kubeconfig", "/k/config", "--context",
                                                                   "admin", "-n", "clusters", "get", "hc", "x"}));
  Kubectl cluster_scoped = k.in_namespace("");
  EXPECT_EQ(cluster_scoped.argv({"get", "ns"}),
            (std::vector<std::string>{"kubectl", "--kubeconfig", "/k/config", "--context", "admin", "get", "ns"}));
  Action a = k.action({"create", "-f", "-"}, "the objects as JSON");
  EXPECT_EQ(a.argv, (std::vector<std::string>{"kubectl", "--kubeconfig", "/k/config", "--context", "admin", "-n",
                                               "clusters", "create", "-f", "-"}));
  EXPECT_EQ(a.input, "the objects as JSON");
}

TEST(Kubectl, MissingBinaryIsAClearError) {
  Kubectl k(Target{"/nonexistent/kubectl", "/k/config", "", ""});
  CallResult r = k.run({"version"}, CancelToken(), "kubectl version");
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("/nonexistent/kubectl"), std::string::npos) << r.status.message();
}

TEST(Kubectl, ItemsOfListOrObject) {
  EXPECT_EQ(items_of(json::parse(R"({"kind":"List","items":[{"a":1},{"b":2}]})")).size(), 2u);
  EXPECT_EQ(items_of(json::parse(R"({"kind":"Deployment","metadata":{"name":"x"}})")).size(), 1u);
  EXPECT_EQ(items_of(json::parse(R"({"kind":"List","items":[]})")).size(), 0u);
}

}  // namespace
}  // namespace ferry::engine::kube
