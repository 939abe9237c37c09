// One `kubectl proxy --unix-socket` per cluster (kubeconfig and context) for the life of the
// process. ferry sends the requests it makes many of (the teardown's, its reads) over HTTP
// through it, with no process per request, while kubectl still does the authentication (client
// certificates, tokens, exec plugins, `oc login`) exactly as for every other call. The socket is
// in a directory of ferry's own (0700) under $TMPDIR: only this user reaches the credentials
// behind it. The proxies stop when ferry exits, and die with it if it is killed.
#pragma once

#include <string>

#include "engine/base/cancel.h"
#include "engine/base/status.h"
#include "engine/kube/kubectl.h"

namespace ferry::engine::kube {

// The socket of the proxy to `target`'s cluster (its namespace does not matter), started on
// first use. `restart`: the socket given before refused a connection (the proxy died): start
// another. A proxy that does not come up is an error with kubectl's own message.
Status api_proxy_socket(const Target& target, const CancelToken& cancel, bool restart, std::string* socket);

}  // namespace ferry::engine::kube
