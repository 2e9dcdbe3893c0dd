// The protocol list (see registry.h).
#include "protocols/registry.h"

#include "protocols/http1/conn_handler.h"

namespace obi::protocols {

std::vector<conntrack::ProtocolDef> all()
{
    return {
        http1::protocol_def(),
    };
}

}  // namespace obi::protocols
