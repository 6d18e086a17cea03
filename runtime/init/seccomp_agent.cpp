#include "runtime/init/seccomp_agent.hpp"

#include "oci/json_text.hpp"
#include "oci/state.hpp"
#include "util/error.hpp"
#include "util/socket.hpp"

namespace nucleus::init {

UniqueFd connect_seccomp_agent(const oci::Seccomp& profile) {
  if (profile.listener_path.empty())
    throw Error(
        "config.json: linux.seccomp.listenerPath: seccomp listenerPath is not set (SCMP_ACT_NOTIFY "
        "rules need a seccomp agent)");
  try {
    return connect_unix(profile.listener_path, "seccomp agent");
  } catch (const Error& e) {
    throw Error(
        std::string("failed to connect with seccomp agent specified in the seccomp profile: ") +
        e.what());
  }
}

void send_to_seccomp_agent(int agent, int notify_fd, pid_t pid, const oci::Seccomp& profile,
                           const std::string& state_json) {
  std::string payload = std::string("{\"ociVersion\":\"") + oci::kSpecVersion +
                        "\",\"fds\":[\"seccompFd\"],\"pid\":" + std::to_string(pid) +
                        ",\"metadata\":" + oci::json_quote(profile.listener_metadata) +
                        ",\"state\":" + (state_json.empty() ? "{}" : state_json) + "}";
  send_fd(agent, notify_fd, payload);
}

}  // namespace nucleus::init
