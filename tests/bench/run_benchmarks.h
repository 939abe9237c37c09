// The Google Benchmark main of ferry's benchmark programs, with the allocator the figures are
// for recorded in the report's context (engine/alloc/allocator.h).
#pragma once

#include <benchmark/benchmark.h>

#include "engine/alloc/allocator.h"

namespace ferry::bench {

inline int run_benchmarks(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("allocator", allocator_name());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace ferry::bench
