#include "engine/base/identity.h"

#include <pwd.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

namespace ferry::engine {

std::string user_name() {
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name) return pw->pw_name;
  if (const char* user = std::getenv("USER"); user && *user) return user;
  return "uid " + std::to_string(getuid());
}

std::string host_name() {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "";
  return host;
}

}  // namespace ferry::engine
