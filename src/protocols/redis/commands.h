// Redis command names: the command table of Redis 7 (to recognise inline commands and to
// name spans), the container commands whose first argument is a subcommand, and the
// operation name of a command as OBI's db.operation.name.
#pragma once

#include <string>
#include <string_view>

namespace obi::redis {

// A command Redis 7 knows (case-insensitive).
bool known_command(std::string_view name);

// Commands whose first argument is a subcommand (CLIENT SETNAME, CONFIG GET, ...).
bool container_command(std::string_view name);

// Plausible command token: starts with a letter, then letters, digits and `_ - . | :`
// (module commands like JSON.SET), at most 64 bytes.
bool command_token(std::string_view s);

// Known commands that are safe to detect as inline (text) commands on a connection whose
// protocol is not known yet: excludes the words memcached's text protocol shares with
// Redis (get, set, incr, decr, append, prepend, touch, quit ...).
bool inline_detectable(std::string_view name);

// db.operation.name: the command in upper case, with the subcommand for container
// commands ("CLIENT SETNAME"); "" when `cmd` is not a plausible command token.
void operation_name(std::string_view cmd, std::string_view sub, bool has_sub, std::string& out);

}  // namespace obi::redis
