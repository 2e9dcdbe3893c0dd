// libFuzzer target: the MongoDB handler (message reassembly, OP_MSG/OP_QUERY/OP_REPLY/OP_COMPRESSED, BSON) on arbitrary byte streams, client and server side.
#include "fuzz_driver.h"
#include "protocols/mongo/conn_handler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const obi::conntrack::ProtocolDef def = obi::mongo::protocol_def();
    obi::fuzz::drive(def, data, size);
    return 0;
}
