// One apisim instance (tests/sandbox/apisim.py) for a test, and the real kubectl pointed at it:
// its own state directory, port and KUBECACHEDIR (kubectl caches discovery per host:port, and
// ports are reused). The process is stopped with SIGTERM when the Sim goes away.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/kube/kubectl.h"
#include "engine/base/subprocess.h"

namespace ferry::engine::testing {

using json = nlohmann::json;

class Sim {
 public:
  // `extra`: more apisim flags (e.g. "--etcd").
  explicit Sim(std::vector<std::string> extra = {}) {
    dir_ = std::filesystem::temp_directory_path() / ("ferry-kube-test-" + std::to_string(getpid()) + "-" +
                                                      std::to_string(counter()++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    setenv("KUBECACHEDIR", (dir_ / "kubecache").c_str(), 1);
    std::vector<std::string> args = {"python3", FERRY_SOURCE_DIR "/tests/sandbox/apisim.py",
                                     "--state-dir", (dir_ / "state").string(),
                                     "--crds", FERRY_CRDS, "--crds", FERRY_SOURCE_DIR "/tests/sandbox/crds",
                                     "--fixture", FERRY_SOURCE_DIR "/tests/sandbox/fixtures/source.json",
                                     "--port", "0", "--ready-file", (dir_ / "ready.json").string(), "--name", "source"};
    args.insert(args.end(), extra.begin(), extra.end());
    const std::string log = (dir_ / "apisim.log").string();
    pid_ = fork();
    if (pid_ == 0) {
      // dup2, not freopen: freopen would flush the test's buffered stdout a second time.
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    // The ready file is one JSON line; until it parses, apisim is starting (or still writing it).
    while ((info_ = json::parse(slurp((dir_ / "ready.json").string()), nullptr, false)).is_discarded()) {
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_ || std::chrono::steady_clock::now() > deadline) {
        if (kill(pid_, SIGKILL) == 0) waitpid(pid_, nullptr, 0);  // timed out: leave nothing behind
        pid_ = -1;
        ADD_FAILURE() << "apisim did not start: " << slurp(log);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~Sim() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
  }
  Sim(const Sim&) = delete;
  Sim& operator=(const Sim&) = delete;

  bool up() const { return pid_ > 0; }
  std::string kubeconfig() const { return info_.value("kubeconfig", ""); }
  std::string dir() const { return dir_.string(); }
  const json& info() const { return info_; }

  // The real kubectl on this cluster.
  kube::Kubectl kubectl(const std::string& ns = "") const {
    return kube::Kubectl(kube::Target{"kubectl", kubeconfig(), "", ns});
  }
  // `kubectl get ... -o json`, failing the test if it fails.
  json get(const std::string& ns, std::vector<std::string> args) const {
    args.insert(args.begin(), "get");
    json out;
    Status s = kubectl(ns).run_json(args, CancelToken(), "test get", &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  // POST /apisim/faults: the next `count` requests matching `method` and `path` get `code`.
  void fault(const json& fault) const {
    ProcessSpec spec;
    spec.argv = {"curl", "-sf", "--cacert", info_.value("ca", ""), "-H", "Authorization: Bearer " + info_.value("token", ""),
                 "-X", "POST", info_.value("url", "") + "/apisim/faults", "-d", fault.dump()};
    ProcessResult p = run_process(spec, CancelToken());
    EXPECT_EQ(p.exit_code, 0) << "could not inject " << fault.dump() << ": " << p.err;
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  static std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::filesystem::path dir_;
  pid_t pid_ = -1;
  json info_;
};

// Fails the test with a clear message (instead of skipping it) when kubectl is not installed.
inline bool require_kubectl() {
  ProcessSpec spec;
  spec.argv = {"kubectl", "version", "--client"};
  ProcessResult p = run_process(spec, CancelToken());
  if (!p.status.ok() || p.exit_code != 0) {
    ADD_FAILURE() << "kubectl is not installed (or does not run): the kube tests need the real kubectl on PATH; "
                  << p.status.ToString();
    return false;
  }
  return true;
}

}  // namespace ferry::engine::testing
