#include "engine/alloc/allocator.h"

#ifdef FERRY_MIMALLOC
#include <mimalloc.h>
#endif

namespace ferry {

std::string allocator_name() {
#ifdef FERRY_MIMALLOC
  // mi_version() is major * 100 + minor * 10 + patch: 209 for 2.0.9. Calling it also keeps the
  // library a dependency of every program that reports it, whatever the linker's --as-needed.
  int v = mi_version();
  return "mimalloc " + std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." + std::to_string(v % 10);
#else
  return "glibc malloc";
#endif
}

}  // namespace ferry
