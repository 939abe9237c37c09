// The process's memory allocator. ferry links mimalloc in place of glibc's malloc (see
// CMakeLists.txt, FERRY_MIMALLOC): a plan compiles into nlohmann::json values, a node and a
// string each, so compiling a 10,000-step plan makes about half a million small allocations,
// and with glibc's malloc that compile took 1.5x as long (README, Dependencies; make bench).
#pragma once

#include <string>

namespace ferry {

// "mimalloc 2.0.9", or "glibc malloc" in a build without it (sanitizers bring their own).
// `ferry --version` and the benchmarks print it, so a figure says which allocator it is for.
std::string allocator_name();

}  // namespace ferry
