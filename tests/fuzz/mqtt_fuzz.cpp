// libFuzzer target: the MQTT handler (3.1/3.1.1/5 packets, properties, QoS flows) on arbitrary byte streams, client and server side.
#include "fuzz_driver.h"
#include "protocols/mqtt/conn_handler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const obi::conntrack::ProtocolDef def = obi::mqtt::protocol_def();
    obi::fuzz::drive(def, data, size);
    return 0;
}
