// kube::Api through the real `kubectl proxy` against the sandbox's API simulator: paths from
// discovery, answers classified as kubectl's are, a proxy that died started again, and one that
// never outlives ferry.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "engine/kube/api.h"
#include "engine/kube/api_proxy.h"
#include "engine/kube/api_read.h"
#include "tests/kube/sim.h"

namespace ferry::engine {
namespace {

using testing::Sim;
using json = nlohmann::json;

// The pid of the `kubectl proxy` serving `socket` (-1 if none runs).
int proxy_pid(const std::string& socket) {
  ProcessSpec spec;
  spec.argv = {"pgrep", "-f", "proxy --unix-socket=" + socket};
  ProcessResult p = run_process(spec, CancelToken());
  return p.exit_code == 0 ? std::stoi(p.out) : -1;
}

// Gone, or a zombie nobody reaped yet (in a container, pid 1 may never reap it).
bool gone(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const size_t paren = line.rfind(')');
  return paren == std::string::npos || line.compare(paren + 1, 2, " Z") == 0;
}

bool gone_within(int pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (gone(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(Api, PathsComeFromTheClustersDiscovery) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  const kube::Api api(sim.kubectl("clusters-jdoe-hosted"));
  std::string path;
  ASSERT_TRUE(api.object_path({{"apiVersion", "hypershift.openshift.io/v1beta1"},
                               {"kind", "HostedCluster"},
                               {"metadata", {{"name", "jdoe-hosted"}, {"namespace", "clusters"}}}},
                              CancelToken(), &path)
                  .ok());
  EXPECT_EQ(path, "/apis/hypershift.openshift.io/v1beta1/namespaces/clusters/hostedclusters/jdoe-hosted");
  // No namespace given: the target's. Core group: /api.
  ASSERT_TRUE(api.object_path({{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "s"}}}}, CancelToken(), &path)
                  .ok());
  EXPECT_EQ(path, "/api/v1/namespaces/clusters-jdoe-hosted/secrets/s");
  // Cluster-scoped: no namespace in the path.
  ASSERT_TRUE(api.object_path({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "clusters"}}}},
                              CancelToken(), &path)
                  .ok());
  EXPECT_EQ(path, "/api/v1/namespaces/clusters");
  json hc;
  ASSERT_TRUE(api.call("GET", "/apis/hypershift.openshift.io/v1beta1/namespaces/clusters/hostedclusters/jdoe-hosted",
                       nullptr, "", CancelToken(), "read it", &hc)
                  .ok());
  EXPECT_EQ(hc["metadata"]["name"], "jdoe-hosted");

  Status s = api.object_path({{"apiVersion", "example.com/v1"}, {"kind", "Widget"}, {"metadata", {{"name", "w"}}}},
                             CancelToken(), &path);
  EXPECT_EQ(s.error_class(), ErrorClass::kInvalid) << s.ToString();
  EXPECT_NE(s.message().find("serves no API example.com/v1"), std::string::npos) << s.message();
  // A name, namespace or apiVersion that would make another path is refused, not sent.
  for (const json& bad : {json{{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "../configmaps/x"}}}},
                          json{{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "s"}, {"namespace", "a/b"}}}},
                          json{{"apiVersion", "../v1"}, {"kind", "Secret"}, {"metadata", {{"name", "s"}}}}}) {
    s = api.object_path(bad, CancelToken(), &path);
    EXPECT_EQ(s.error_class(), ErrorClass::kInvalid) << bad.dump() << ": " << s.ToString();
  }
}

TEST(Api, AnswersFailAsKubectlsDo) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  const kube::Api api(sim.kubectl("clusters"));
  const std::string hc = "/apis/hypershift.openshift.io/v1beta1/namespaces/clusters/hostedclusters/";
  Status s = api.call("GET", hc + "nope", nullptr, "", CancelToken(), "read hostedclusters/nope");
  EXPECT_EQ(s.error_class(), ErrorClass::kNotFound) << s.ToString();
  EXPECT_EQ(s.message().rfind("read hostedclusters/nope: ", 0), 0u) << s.message();
  EXPECT_NE(s.message().find("not found"), std::string::npos) << s.message();

  const json stale = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"preconditions", {{"uid", "not-its-uid"}}}};
  s = api.call("DELETE", hc + "jdoe-hosted", stale, "application/json", CancelToken(), "delete it unless it changed");
  EXPECT_EQ(s.error_class(), ErrorClass::kConflict) << s.ToString();
  EXPECT_NE(s.message().find("Precondition failed"), std::string::npos) << s.message();
  EXPECT_TRUE(kube::items_of(sim.get("clusters", {"hostedclusters"})).size() == 1);

  sim.fault({{"method", "GET"}, {"path", "/hostedclusters/jdoe-hosted$"}, {"code", 503}, {"count", 1}});
  s = api.call("GET", hc + "jdoe-hosted", nullptr, "", CancelToken(), "read it");
  EXPECT_EQ(s.error_class(), ErrorClass::kTransient) << s.ToString();
}

TEST(Api, WritesAreLoggedAndReadsAreNot) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  kube::Kubectl k = sim.kubectl("clusters");
  std::vector<std::string> logs;
  k.set_log([&](const std::string& l) { logs.push_back(l); });
  const kube::Api api(k);
  const std::string path = "/apis/hypershift.openshift.io/v1beta1/namespaces/clusters/hostedclusters/jdoe-hosted";
  ASSERT_TRUE(api.call("GET", path, nullptr, "", CancelToken(), "read").ok());
  EXPECT_TRUE(logs.empty());
  json patched;
  ASSERT_TRUE(api.call("PATCH", path, {{"metadata", {{"labels", {{"x", "y"}}}}}}, kube::kMergePatch, CancelToken(),
                       "label", &patched)
                  .ok());
  EXPECT_EQ(patched["metadata"]["labels"]["x"], "y");
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].rfind("$ PATCH " + path, 0), 0u) << logs[0];
  EXPECT_NE(logs[0].find("through kubectl proxy"), std::string::npos) << logs[0];
}

// `get -o json` through the proxy answers what kubectl prints, and leaves to kubectl what it
// cannot be sure of.
TEST(ApiRead, AnswersAsKubectlDoes) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  const kube::Kubectl k = sim.kubectl("clusters-jdoe-hosted");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"get", "secrets"},
           {"get", "deployment"},
           {"get", "deploy", "kube-apiserver"},
           {"get", "machinedeployments.cluster.x-k8s.io"},
           {"get", "awsmachines.v1beta2.infrastructure.cluster.x-k8s.io"},
           {"get", "pods", "-l", "app in (etcd,kube-apiserver)"},
           {"get", "hostedcontrolplanes/jdoe-hosted", "deployments/kube-apiserver"},
           {"get", "deployment", "kube-apiserver", "nope", "--ignore-not-found"},
           {"get", "secrets", "nope", "--ignore-not-found"},
       }) {
    json fast;
    Status s;
    ASSERT_TRUE(kube::read_through_api(k, args, "", CancelToken(), "read", &fast, &s)) << json(args).dump();
    ASSERT_TRUE(s.ok()) << json(args).dump() << ": " << s.ToString();
    std::vector<std::string> full = args;
    full.insert(full.end(), {"-o", "json"});
    kube::CallResult c = k.run(full, CancelToken(), "read");  // run, not run_json: the real kubectl
    ASSERT_TRUE(c.status.ok()) << c.status.ToString();
    json slow = c.out.find_first_not_of(" \n") == std::string::npos
                    ? json{{"apiVersion", "v1"}, {"kind", "List"}, {"metadata", {{"resourceVersion", ""}}}, {"items", json::array()}}
                    : json::parse(c.out);
    EXPECT_EQ(fast, slow) << json(args).dump();
  }
  // A missing object without --ignore-not-found fails as kubectl's get does.
  json out;
  Status s;
  ASSERT_TRUE(kube::read_through_api(k, {"get", "secrets", "nope"}, "", CancelToken(), "read secrets/nope", &out, &s));
  EXPECT_EQ(s.error_class(), ErrorClass::kNotFound) << s.ToString();
  EXPECT_NE(s.message().find("Error from server (NotFound): "), std::string::npos) << s.message();

  // Objects on stdin: a List of those found.
  const json refs = {{"apiVersion", "v1"},
                     {"kind", "List"},
                     {"items",
                      {{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", {{"name", "kube-apiserver"}}}},
                       {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "nope"}}}}}}};
  ASSERT_TRUE(kube::read_through_api(k, {"get", "-f", "-", "--ignore-not-found"}, refs.dump(), CancelToken(), "read",
                                     &out, &s));
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(kube::items_of(out).size(), 1u) << out.dump();
  EXPECT_EQ(kube::items_of(out)[0]["metadata"]["name"], "kube-apiserver");

  // Left to kubectl: other outputs, flags it does not know, kinds no resource answers to, and a
  // namespaced kind with no namespace given (the kubeconfig's default is kubectl's to know).
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"get", "pods", "-o", "name"},
           {"get", "pods", "--field-selector", "status.phase=Running"},
           {"get", "widgets"},
           {"get", "-o=jsonpath={.items}", "pods"},
           {"get", "secrets/../configmaps/x"},  // a name that would make another path
           {"get", "secrets", "a?b"},
       }) {
    EXPECT_FALSE(kube::read_through_api(k, args, "", CancelToken(), "read", &out, &s)) << json(args).dump();
  }
  EXPECT_FALSE(kube::read_through_api(sim.kubectl(""), {"get", "secrets"}, "", CancelToken(), "read", &out, &s));
  EXPECT_TRUE(kube::read_through_api(sim.kubectl(""), {"get", "namespaces"}, "", CancelToken(), "read", &out, &s));
}

// The socket is in a directory only this user can enter; a proxy killed under ferry is started
// again on the next request.
TEST(Api, AProxyThatDiedIsStartedAgain) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  const kube::Kubectl k = sim.kubectl("clusters");
  std::string socket;
  ASSERT_TRUE(kube::api_proxy_socket(k.target(), CancelToken(), false, &socket).ok());
  struct stat dir {};
  ASSERT_EQ(stat(std::filesystem::path(socket).parent_path().c_str(), &dir), 0);
  EXPECT_EQ(dir.st_mode & 0777, 0700u);
  const int pid = proxy_pid(socket);
  ASSERT_GT(pid, 0);
  // Its whole process group, as a crash would end it (a kubectl launcher, such as the Cloud SDK's,
  // runs the real kubectl as a child: killing only the launcher would leave it serving).
  kill(-pid, SIGKILL);
  ASSERT_TRUE(gone_within(pid, std::chrono::seconds(10)));
  for (int other; (other = proxy_pid(socket)) > 0;) ASSERT_TRUE(gone_within(other, std::chrono::seconds(10)));

  json hc;
  Status s = kube::Api(k).call("GET", "/apis/hypershift.openshift.io/v1beta1/namespaces/clusters/hostedclusters/jdoe-hosted",
                               nullptr, "", CancelToken(), "read", &hc);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::string now;
  ASSERT_TRUE(kube::api_proxy_socket(k.target(), CancelToken(), false, &now).ok());
  EXPECT_NE(now, socket);
  EXPECT_GT(proxy_pid(now), 0);
}

// kill -9 of ferry leaves no proxy behind (a proxy keeps the user's credentials usable).
TEST(Api, TheProxyDiesWithFerry) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  const kube::Target target = sim.kubectl("clusters").target();
  int to_parent[2];
  ASSERT_EQ(pipe(to_parent), 0);
  const pid_t ferry = fork();
  if (ferry == 0) {
    // Started from a thread that ends first, as a step's worker thread does.
    std::string socket;
    std::thread([&] { (void)kube::api_proxy_socket(target, CancelToken(), false, &socket); }).join();
    socket += "\n";
    (void)!write(to_parent[1], socket.data(), socket.size());
    pause();
    _exit(0);
  }
  close(to_parent[1]);
  std::string socket;
  char c;
  while (read(to_parent[0], &c, 1) == 1 && c != '\n') socket += c;
  close(to_parent[0]);
  ASSERT_FALSE(socket.empty());
  const int pid = proxy_pid(socket);
  ASSERT_GT(pid, 0) << "no proxy serves " << socket;
  // Still there after the thread that asked for it ended.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(gone(pid));
  kill(ferry, SIGKILL);
  waitpid(ferry, nullptr, 0);
  EXPECT_TRUE(gone_within(pid, std::chrono::seconds(10)));
  for (int other; (other = proxy_pid(socket)) > 0;) ASSERT_TRUE(gone_within(other, std::chrono::seconds(10)));
}

}  // namespace
}  // namespace ferry::engine
