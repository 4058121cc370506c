// The targets store on maps (common/docstore's InMemoryKv), for unit tests:
// the same TargetsStore code as in production, so the api, jobs and event
// handlers are tested on the guards, indexes and outbox events they really
// commit. kv_contract holds InMemoryKv to Redis' semantics
// (common_kv_contract_test here, kv_contract_integration_test on a real Redis).
#pragma once

#include "common/docstore/in_memory_kv.h"
#include "services/targets/store/targets_store.h"

namespace salesops::targets {

using InMemoryTargetsStore = InMemoryStore<TargetsStore>;

}  // namespace salesops::targets
