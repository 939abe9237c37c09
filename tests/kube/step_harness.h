// Runs one kube step type by hand (run, then inverse) against a Sim, with the undo data, log
// lines and tainted values it produced kept for the test to look at.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <vector>

#include "dsl/ir.h"
#include "engine/run/step.h"
#include "engine/steps/registry.h"
#include "engine/steps/services.h"
#include "tests/kube/sim.h"

namespace ferry::engine::testing {

struct StepHarness {
  dsl::IrStep step;
  dsl::IrCluster cluster;
  Services services;
  Redactor redactor;
  // log and taint may be called from a step's worker threads (an upload's parts), as the
  // executor allows: the lists are guarded.
  std::mutex mu;
  std::vector<std::string> logs;
  std::vector<json> undos;
  std::vector<std::string> tainted;
  std::string run_dir;

  StepHarness(const Sim& sim, const std::string& type, json args) {
    step.id = type + "-under-test";
    step.type = type;
    step.cluster = "source";
    step.args = std::move(args);
    cluster.name = "source";
    cluster.fields = {{"kubeconfig", sim.kubeconfig()}};
    run_dir = sim.dir() + "/run";
    std::filesystem::create_directories(run_dir);
  }

  StepContext context() {
    StepContext ctx;
    ctx.step = &step;
    ctx.args = step.args;
    ctx.cluster = &cluster;
    ctx.run_dir = run_dir;
    ctx.clock = &real_clock();
    ctx.redactor = &redactor;
    ctx.services = &services;
    ctx.log = [this](const std::string& line) {
      std::lock_guard lock(mu);
      logs.push_back(line);
    };
    ctx.save_undo = [this](const json& undo) {
      std::lock_guard lock(mu);
      undos.push_back(undo);
    };
    ctx.taint = [this](const std::string& v) {
      std::lock_guard lock(mu);
      tainted.push_back(v);
    };
    return ctx;
  }

  const StepImpl& impl() {
    const StepImpl* impl = find_step_impl(step.type);
    EXPECT_NE(impl, nullptr) << step.type;
    return *impl;
  }

  StepResult run() {
    StepContext ctx = context();
    return impl().run(ctx);
  }
  // The inverse with the first undo value saved (as the journal keeps it).
  Status inverse() {
    StepContext ctx = context();
    return impl().inverse(ctx, undos.empty() ? json() : undos.front());
  }
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A kubectl that writes each call's verb to `calls` (in the Sim's dir), for the tests that
// check which work took no process.
inline std::string counting_kubectl(const Sim& sim, const std::string& calls) {
  const std::string path = sim.dir() + "/kubectl-counting";
  // The verb: the first word that is not a global flag or its value.
  std::ofstream(path) << "#!/bin/sh\nskip=0\nfor a in \"$@\"; do\n"
                      << "  if [ $skip = 1 ]; then skip=0; continue; fi\n"
                      << "  case \"$a\" in --kubeconfig|--context|-n) skip=1 ;; -*) ;; *) echo \"$a\" >>" << calls
                      << "; break ;; esac\ndone\nexec kubectl \"$@\"\n";
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  return path;
}

}  // namespace ferry::engine::testing
