// Who is running ferry, and where: for the journal (a postmortem asks who ran a migration from
// which machine) and the run's lock (who holds it).
#pragma once

#include <string>

namespace ferry::engine {

// The login name of the real user (the password database's, else $USER, else "uid N").
std::string user_name();
// This machine's host name ("" if the system will not say).
std::string host_name();

}  // namespace ferry::engine
