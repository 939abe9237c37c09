// Executor benchmark: runs 10,000 noop steps in a wide-and-deep DAG (100 layers of 100 steps,
// each depending on two steps of the layer before) through the real Executor, journal and
// all (in a temporary run directory on this disk), and reports the time per step. The plan is
// compiled once, outside the timing, so this is the engine's own overhead.
// Goal: <= 20 µs per step.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>

#include "dsl/compiler.h"
#include "tests/bench/run_benchmarks.h"
#include "engine/run/executor.h"
#include "engine/run/journal.h"
#include "engine/steps/registry.h"
#include "engine/steps/services.h"

namespace {

using namespace ferry;

constexpr int kLayers = 100;
constexpr int kWidth = 100;

dsl::Ir compile_dag(const std::filesystem::path& dir) {
  std::string text = "plan \"bench\" {\n  phase all {\n";
  for (int l = 0; l < kLayers; ++l) {
    for (int w = 0; w < kWidth; ++w) {
      std::string id = "s" + std::to_string(l) + "_" + std::to_string(w);
      if (l == 0) {
        text += "    step " + id + " = noop {}\n";
      } else {
        std::string prev = "s" + std::to_string(l - 1) + "_";
        text += "    step " + id + " = noop { after = [" + prev + std::to_string(w) + ", " + prev +
                std::to_string((w + 1) % kWidth) + "] }\n";
      }
    }
  }
  text += "  }\n}\n";
  auto path = dir / "bench.ferry";
  std::ofstream(path) << text;
  dsl::CompileOptions options;
  dsl::SourceSet sources;
  dsl::Diagnostics diags;
  auto ir = dsl::compile_plan(path.string(), options, &sources, &diags);
  if (!ir) {
    std::fprintf(stderr, "%s", diags.render().c_str());
    std::abort();
  }
  return *ir;
}

void BM_RunNoopDag(benchmark::State& state) {
  auto dir = std::filesystem::temp_directory_path() / ("ferry-executor-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  dsl::Ir ir = compile_dag(dir);
  for (auto _ : state) {
    state.PauseTiming();
    std::filesystem::remove(dir / "journal.jsonl");
    engine::Redactor redactor;
    std::string error;
    auto journal = engine::JournalWriter::open((dir / "journal.jsonl").string(), {{"ferry_journal", 1}}, &redactor, &error);
    auto runner = engine::real_runner();
    engine::RunOptions options;
    options.run_dir = dir.string();
    options.impls = engine::find_step_impl;
    engine::Services services;
    engine::Executor executor(ir, options, services, engine::real_clock(), redactor, *runner, journal.get(), nullptr);
    state.ResumeTiming();
    if (executor.run(engine::CancelToken()) != engine::RunResult::kSucceeded) state.SkipWithError("the run failed");
  }
  // items_per_second is steps per second: 1e6 / it is the µs per step.
  state.SetItemsProcessed(state.iterations() * kLayers * kWidth);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RunNoopDag)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

}  // namespace

int main(int argc, char** argv) {
  return ferry::bench::run_benchmarks(argc, argv);
}
