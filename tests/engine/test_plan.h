// Test helpers: compile a plan from text, and a scripted step type whose behaviour each test
// sets (fail N times with a class, take time, record what ran and in what order).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dsl/compiler.h"
#include "engine/run/executor.h"

namespace ferry::engine::testing {

inline dsl::Ir compile_text(const std::string& text, std::map<std::string, std::string> vars = {}) {
  static int n = 0;
  auto dir = std::filesystem::temp_directory_path() / ("ferry-engine-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / ("plan" + std::to_string(n++) + ".ferry");
  std::ofstream(path) << text;
  dsl::CompileOptions options;
  options.vars = std::move(vars);
  options.environment = [](std::string_view) { return std::nullopt; };
  dsl::SourceSet sources;
  dsl::Diagnostics diags;
  auto ir = dsl::compile_plan(path.string(), options, &sources, &diags);
  EXPECT_TRUE(ir.has_value()) << diags.render();
  return ir ? *ir : dsl::Ir{};
}

// What the scripted steps did, shared by all of them in one test.
struct Script {
  std::mutex mu;
  std::vector<std::string> started;      // ids, in start order
  std::vector<std::string> finished;
  std::vector<std::string> compensated;  // ids whose inverse ran, in order
  std::map<std::string, int> attempts;
  std::map<std::string, std::vector<ErrorClass>> failures;  // id -> class of each failing attempt, in order
  std::map<std::string, ErrorClass> inverse_fails;          // id -> its inverse fails with this class
  std::map<std::string, int> sleep_ms;                      // real time a step takes
  std::map<std::string, int64_t> virtual_sleep_ms;          // ctx.sleep_for (virtual with FakeClock)
  std::map<std::string, json> outputs;
  int running = 0;
  int max_running = 0;
  std::map<std::string, int> pool_running;
  std::map<std::string, int> pool_max;
  std::map<std::string, std::vector<std::string>> pool_of;  // id -> pools it counts as in

  std::map<std::string, int64_t> inverse_virtual_sleep_ms;  // inverses that wait on the run's clock
  // What happened beside the steps, in order: "undone ID" when a step's inverse ran, and what a
  // test adds with mark().
  std::vector<std::string> marks;
  std::condition_variable marked;
  // id -> a mark that must be made before this step ends (up to 10 s of real time): to see
  // something happen while a step still runs.
  std::map<std::string, std::string> ends_after_mark;

  void mark(const std::string& what) {
    std::lock_guard lock(mu);
    marks.push_back(what);
    marked.notify_all();
  }

  StepImpl impl(const std::string& type) {
    StepImpl s;
    s.type = type;
    s.render = [](const StepContext& ctx) {
      Action a;
      a.note = "scripted " + ctx.step->id;
      return std::vector<Action>{a};
    };
    s.run = [this](StepContext& ctx) {
      const std::string id = ctx.step->id;
      int attempt;
      {
        std::lock_guard lock(mu);
        started.push_back(id);
        attempt = ++attempts[id];
        max_running = std::max(max_running, ++running);
        for (const auto& p : pool_of[id]) pool_max[p] = std::max(pool_max[p], ++pool_running[p]);
      }
      if (sleep_ms.count(id)) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms[id]));
      if (ends_after_mark.count(id)) {
        std::unique_lock lock(mu);
        const std::string& mark = ends_after_mark[id];
        marked.wait_for(lock, std::chrono::seconds(10),
                        [&] { return std::find(marks.begin(), marks.end(), mark) != marks.end(); });
      }
      StepResult r;
      if (virtual_sleep_ms.count(id)) r.status = ctx.sleep_for(Millis(virtual_sleep_ms[id]));
      std::lock_guard lock(mu);
      --running;
      for (const auto& p : pool_of[id]) --pool_running[p];
      if (r.status.ok() && failures.count(id) && attempt <= static_cast<int>(failures[id].size())) {
        r.status = Status::Error(failures[id][attempt - 1], "scripted failure " + std::to_string(attempt));
      }
      if (r.status.ok()) {
        finished.push_back(id);
        if (outputs.count(id)) r.outputs = outputs[id];
        ctx.save_undo({{"before", id}});
      }
      return r;
    };
    s.inverse = [this](StepContext& ctx, const json& undo) {
      const std::string id = ctx.step->id;
      if (inverse_virtual_sleep_ms.count(id)) {
        if (Status slept = ctx.sleep_for(Millis(inverse_virtual_sleep_ms[id])); !slept.ok()) return slept;
      }
      std::lock_guard lock(mu);
      EXPECT_EQ(undo, json({{"before", id}})) << id;
      if (inverse_fails.count(id)) return Status::Error(inverse_fails[id], "scripted rollback failure");
      compensated.push_back(id);
      marks.push_back("undone " + id);
      marked.notify_all();
      return Status::Ok();
    };
    s.render_inverse = [](const StepContext&) { return std::vector<Action>{}; };
    return s;
  }
};

}  // namespace ferry::engine::testing
