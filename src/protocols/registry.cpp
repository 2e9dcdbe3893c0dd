// The protocol list (see registry.h).
#include "protocols/registry.h"

#include "protocols/dns/conn_handler.h"
#include "protocols/http1/conn_handler.h"
#include "protocols/http2/conn_handler.h"
#include "protocols/kafka/conn_handler.h"
#include "protocols/mongo/conn_handler.h"
#include "protocols/mqtt/conn_handler.h"
#include "protocols/mysql/conn_handler.h"
#include "protocols/postgres/conn_handler.h"
#include "protocols/redis/conn_handler.h"

namespace obi::protocols {

std::vector<conntrack::ProtocolDef> all()
{
    return {
        postgres::protocol_def(),
        mysql::protocol_def(),
        mongo::protocol_def(),
        mqtt::protocol_def(),
        http1::protocol_def(),
        http2::protocol_def(),
        kafka::protocol_def(),
        redis::protocol_def(),
        dns::protocol_def(),
    };
}

}  // namespace obi::protocols
