#include "engine/kube/api_proxy.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "engine/base/subprocess.h"

namespace ferry::engine::kube {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(30);  // an exec plugin may log in first
constexpr std::string_view kServing = "Starting to serve on ";

// The thread that starts the proxies. PR_SET_PDEATHSIG kills a child when the thread that forked
// it ends, and steps run on worker threads that come and go; this one lives as long as ferry, so
// a proxy dies exactly when ferry does (even by kill -9).
class Starter {
 public:
  static Starter& get() {
    static Starter* starter = new Starter;  // never destroyed: its thread runs until exit
    return *starter;
  }

  Status start(const ProcessSpec& spec, const std::string& log, int* pid) {
    auto task = std::make_shared<std::packaged_task<Status()>>([&] { return start_process(spec, log, pid); });
    std::future<Status> done = task->get_future();
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(task);
    }
    cv_.notify_one();
    return done.get();
  }

 private:
  Starter() { std::thread([this] { loop(); }).detach(); }

  [[noreturn]] void loop() {
    for (;;) {
      std::shared_ptr<std::packaged_task<Status()>> task;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !tasks_.empty(); });
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      (*task)();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<std::packaged_task<Status()>>> tasks_;
};

struct Proxy {
  std::mutex mu;  // held while it starts: one proxy per cluster, even when threads ask at once
  int pid = -1;
  std::string socket;
};

struct Proxies {
  std::mutex mu;
  std::map<std::vector<std::string>, std::shared_ptr<Proxy>> by_cluster;
  std::string dir;  // made on first use
  int made = 0;
};

Proxies& proxies() {
  static Proxies* all = new Proxies;  // never destroyed: stop_all reads it at exit
  return *all;
}

void stop_all() {
  Proxies& all = proxies();
  std::lock_guard lock(all.mu);
  for (auto& [key, proxy] : all.by_cluster) {
    if (proxy->pid > 0) kill(-proxy->pid, SIGTERM);
  }
  std::error_code ignored;
  if (!all.dir.empty()) std::filesystem::remove_all(all.dir, ignored);
}

// A directory only this user can enter, for the sockets and the proxies' logs.
Status private_dir(Proxies& all) {
  if (!all.dir.empty()) return Status::Ok();
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/ferry-api-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return Status::Failed("cannot make a directory for the kubectl proxy's socket under " + pattern);
  }
  all.dir = pattern;  // mkdtemp makes it 0700
  std::atexit(stop_all);
  return Status::Ok();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Starts the proxy and waits until it says it serves, or exits, or time is up.
Status start(const Target& target, const std::string& dir, int n, const CancelToken& cancel, Proxy* proxy) {
  const std::string socket = dir + "/" + std::to_string(n) + ".sock";
  const std::string log = dir + "/" + std::to_string(n) + ".log";
  Target cluster = target;
  cluster.ns.clear();
  ProcessSpec spec;
  spec.argv = Kubectl(cluster).argv({"proxy", "--unix-socket=" + socket});
  const std::string what = "start `kubectl proxy` for the cluster of " +
                           (target.kubeconfig.empty() ? std::string("the default kubeconfig") : target.kubeconfig) +
                           (target.context.empty() ? "" : " (context " + target.context + ")");
  int pid = -1;
  if (Status s = Starter::get().start(spec, log, &pid); !s.ok()) return Status::Error(s.error_class(), what + ": " + s.message());
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  for (;;) {
    const std::string said = slurp(log);
    if (said.find(kServing) != std::string::npos) break;
    int wstatus = 0;
    if (waitpid(pid, &wstatus, WNOHANG) == pid) {
      const int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
      Status s = classify(code == 0 ? 1 : code, said, what);
      return s;
    }
    if (std::chrono::steady_clock::now() >= deadline || cancel.wait_until(std::chrono::steady_clock::now() +
                                                                          std::chrono::milliseconds(20))) {
      kill(-pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return cancel.cancelled() ? cancel.status()
                                : Status::Transient(what + ": it did not start serving within " +
                                                    std::to_string(kStartTimeout.count()) + " s: " + error_text(said));
    }
  }
  proxy->pid = pid;
  proxy->socket = socket;
  return Status::Ok();
}

}  // namespace

Status api_proxy_socket(const Target& target, const CancelToken& cancel, bool restart, std::string* socket) {
  Proxies& all = proxies();
  std::shared_ptr<Proxy> proxy;
  {
    std::lock_guard lock(all.mu);
    if (Status s = private_dir(all); !s.ok()) return s;
    std::shared_ptr<Proxy>& p = all.by_cluster[{target.kubectl, target.kubeconfig, target.context}];
    if (!p) p = std::make_shared<Proxy>();
    proxy = p;
  }
  std::lock_guard lock(proxy->mu);
  // Asked to restart the one another thread has already replaced: that one is new.
  const bool dead = restart && proxy->socket == *socket;
  if (proxy->pid > 0 && !dead) {
    *socket = proxy->socket;
    return Status::Ok();
  }
  if (proxy->pid > 0) {
    kill(-proxy->pid, SIGKILL);
    waitpid(proxy->pid, nullptr, 0);
    proxy->pid = -1;
  }
  std::string dir;
  int n = 0;
  {
    std::lock_guard lock(all.mu);
    dir = all.dir;
    n = ++all.made;  // each proxy its own socket, even one started again
  }
  if (Status s = start(target, dir, n, cancel, proxy.get()); !s.ok()) return s;
  *socket = proxy->socket;
  return Status::Ok();
}

}  // namespace ferry::engine::kube
