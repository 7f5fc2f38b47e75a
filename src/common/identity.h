// Who this process is, as recorded in the store ("host:pid"), and whether
// the process behind such a name is still alive.
#pragma once

#include <string>

namespace ctlflow {

// "host:pid" of this process.
std::string ProcessIdentity();

// False only when `identity` names a process on this host that is gone (or
// whose pid now belongs to a program other than ctlflow). A process on
// another host cannot be checked from here and counts as alive.
bool ProcessAlive(const std::string& identity);

}  // namespace ctlflow
