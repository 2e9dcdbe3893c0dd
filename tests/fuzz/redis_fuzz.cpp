// libFuzzer target: the Redis handler (RESP2/RESP3, inline commands, pub/sub and MONITOR modes) on arbitrary byte streams, client and server side.
#include "fuzz_driver.h"
#include "protocols/redis/conn_handler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const obi::conntrack::ProtocolDef def = obi::redis::protocol_def();
    obi::fuzz::drive(def, data, size);
    return 0;
}
