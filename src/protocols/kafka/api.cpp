// The API key table and the request header parser.
#include "protocols/kafka/api.h"

#include <array>

namespace obi::kafka {
namespace {

// Index = API key. {highest known version, first flexible version}.
constexpr std::array<ApiInfo, 93> kApis = {{
    {13, 9},  // 0 Produce (v13: topic ids)
    {18, 12}, // 1 Fetch (v13+: topic ids)
    {10, 6},  // 2 ListOffsets
    {13, 9},  // 3 Metadata
    {7, 4},   // 4 LeaderAndIsr
    {4, 2},   // 5 StopReplica
    {8, 6},   // 6 UpdateMetadata
    {3, 3},   // 7 ControlledShutdown (v0 has header v0)
    {10, 8},  // 8 OffsetCommit
    {10, 6},  // 9 OffsetFetch
    {6, 3},   // 10 FindCoordinator
    {9, 6},   // 11 JoinGroup
    {4, 4},   // 12 Heartbeat
    {5, 4},   // 13 LeaveGroup
    {5, 4},   // 14 SyncGroup
    {6, 5},   // 15 DescribeGroups
    {5, 3},   // 16 ListGroups
    {1, -1},  // 17 SaslHandshake
    {4, 3},   // 18 ApiVersions
    {7, 5},   // 19 CreateTopics
    {6, 4},   // 20 DeleteTopics
    {2, 2},   // 21 DeleteRecords
    {6, 2},   // 22 InitProducerId
    {4, 4},   // 23 OffsetForLeaderEpoch
    {5, 3},   // 24 AddPartitionsToTxn
    {4, 3},   // 25 AddOffsetsToTxn
    {5, 3},   // 26 EndTxn
    {2, 1},   // 27 WriteTxnMarkers
    {5, 3},   // 28 TxnOffsetCommit
    {3, 2},   // 29 DescribeAcls
    {3, 2},   // 30 CreateAcls
    {3, 2},   // 31 DeleteAcls
    {4, 4},   // 32 DescribeConfigs
    {2, 2},   // 33 AlterConfigs
    {2, 2},   // 34 AlterReplicaLogDirs
    {4, 2},   // 35 DescribeLogDirs
    {2, 2},   // 36 SaslAuthenticate
    {3, 2},   // 37 CreatePartitions
    {3, 2},   // 38 CreateDelegationToken
    {2, 2},   // 39 RenewDelegationToken
    {2, 2},   // 40 ExpireDelegationToken
    {3, 2},   // 41 DescribeDelegationToken
    {2, 2},   // 42 DeleteGroups
    {2, 2},   // 43 ElectLeaders
    {1, 1},   // 44 IncrementalAlterConfigs
    {1, 0},   // 45 AlterPartitionReassignments
    {0, 0},   // 46 ListPartitionReassignments
    {0, -1},  // 47 OffsetDelete
    {1, 1},   // 48 DescribeClientQuotas
    {1, 1},   // 49 AlterClientQuotas
    {0, 0},   // 50 DescribeUserScramCredentials
    {0, 0},   // 51 AlterUserScramCredentials
    {2, 0},   // 52 Vote
    {1, 1},   // 53 BeginQuorumEpoch
    {1, 1},   // 54 EndQuorumEpoch
    {2, 0},   // 55 DescribeQuorum
    {3, 0},   // 56 AlterPartition
    {1, 0},   // 57 UpdateFeatures
    {0, 0},   // 58 Envelope
    {1, 0},   // 59 FetchSnapshot
    {2, 0},   // 60 DescribeCluster
    {0, 0},   // 61 DescribeProducers
    {4, 0},   // 62 BrokerRegistration
    {1, 0},   // 63 BrokerHeartbeat
    {0, 0},   // 64 UnregisterBroker
    {0, 0},   // 65 DescribeTransactions
    {2, 0},   // 66 ListTransactions
    {0, 0},   // 67 AllocateProducerIds
    {1, 0},   // 68 ConsumerGroupHeartbeat
    {1, 0},   // 69 ConsumerGroupDescribe
    {0, 0},   // 70 ControllerRegistration
    {0, 0},   // 71 GetTelemetrySubscriptions
    {0, 0},   // 72 PushTelemetry
    {0, 0},   // 73 AssignReplicasToDirs
    {1, 0},   // 74 ListConfigResources
    {0, 0},   // 75 DescribeTopicPartitions
    {1, 0},   // 76 ShareGroupHeartbeat
    {1, 0},   // 77 ShareGroupDescribe
    {1, 0},   // 78 ShareFetch
    {1, 0},   // 79 ShareAcknowledge
    {0, 0},   // 80 AddRaftVoter
    {0, 0},   // 81 RemoveRaftVoter
    {0, 0},   // 82 UpdateRaftVoter
    {0, 0},   // 83 InitializeShareGroupState
    {0, 0},   // 84 ReadShareGroupState
    {0, 0},   // 85 WriteShareGroupState
    {0, 0},   // 86 DeleteShareGroupState
    {0, 0},   // 87 ReadShareGroupStateSummary
    {0, 0},   // 88 StreamsGroupHeartbeat
    {0, 0},   // 89 StreamsGroupDescribe
    {0, 0},   // 90 DescribeShareGroupOffsets
    {0, 0},   // 91 AlterShareGroupOffsets
    {0, 0},   // 92 DeleteShareGroupOffsets
}};

bool printable(std::string_view s)
{
    for (char c : s)
        if (c < 0x20 || c > 0x7e) return false;
    return true;
}

}  // namespace

const ApiInfo* api_info(int16_t key)
{
    if (key < 0 || static_cast<size_t>(key) >= kApis.size()) return nullptr;
    return &kApis[static_cast<size_t>(key)];
}

bool request_is_flexible(int16_t key, int16_t version)
{
    const ApiInfo* a = api_info(key);
    return a && a->flexible_from >= 0 && version >= a->flexible_from;
}

bool response_is_flexible(int16_t key, int16_t version)
{
    return key != kApiVersions && request_is_flexible(key, version);
}

ReadStatus parse_request_header(const SparseBytes& m, RequestHeader& h)
{
    h = RequestHeader{};
    Reader r(m, 0, false);
    if (!r.i16(h.api_key) || !r.i16(h.api_version) || !r.i32(h.correlation_id)) return r.status();
    const ApiInfo* api = api_info(h.api_key);
    if (!api || h.api_version < 0 || h.api_version > api->max_version || h.correlation_id < 0)
        return ReadStatus::Invalid;
    if (h.api_key == kControlledShutdown && h.api_version == 0) {  // header v0: no client id
        h.body_offset = r.pos();
        return ReadStatus::Ok;
    }
    // The client id is a classic nullable STRING even in header v2.
    if (!r.string(h.client_id, h.client_id_null)) return r.status();
    if (h.client_id.size() > kMaxClientId || !printable(h.client_id)) return ReadStatus::Invalid;
    h.flexible = request_is_flexible(h.api_key, h.api_version);
    if (h.flexible) {
        r.set_flexible(true);
        uint32_t tags = 0;
        Reader peek = r;
        if (!peek.uvarint(tags)) return peek.status();
        if (tags > kMaxHeaderTags) return ReadStatus::Invalid;
        if (!r.skip_tags()) return r.status();
    }
    h.body_offset = r.pos();
    return ReadStatus::Ok;
}

}  // namespace obi::kafka
