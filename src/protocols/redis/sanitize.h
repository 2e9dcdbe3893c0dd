// db.query.text for Redis: sanitisation (the command, its subcommand and its key stay, every
// other argument becomes `?`) and the credential arguments that are masked at the source,
// before any option could let them out (AUTH, HELLO ... AUTH, MIGRATE ... AUTH/AUTH2,
// CONFIG SET of password parameters, ACL SETUSER password rules).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace obi::redis {

// `command_line` is the command and its arguments joined by single spaces; an argument holding a
// blank, a quote or a control byte is "double quoted" with backslash escapes (one token).
std::string sanitize(std::string_view command_line);

// Is args[i] a credential? `args` are the command's words (args[0] is the command).
bool secret_argument(std::span<const std::string_view> args, size_t i);

}  // namespace obi::redis
