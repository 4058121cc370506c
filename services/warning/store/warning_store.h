// The warning engine's Redis keyspace ("warn:{warn}:", one hash slot): rules,
// warnings, proposals and subject projections as versioned documents
// (DocStore), plus what the engine needs besides:
//   - per subject, its active warnings (hash rule → warning id): one read finds
//     every open warning of a subject, and a raise is guarded on the field
//     being empty, so two evaluations racing cannot raise the same condition twice;
//   - warning indexes (lex-ordered ids that sort newest first) by scope:
//     all, per org unit (every ancestor of the subject's team, so a unit's
//     index covers its subtree), per responsible supervisor, rep and subject,
//     each in an "active" (OPEN/ACKNOWLEDGED) and an "all" variant;
//   - the weighted open pipeline per rep and per team (hash, HINCRBY);
//   - the period subjects of each rep/team, the subjects index (for sweeps) and
//     the due schedule (sorted set by unix seconds) the scheduler reads.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/docstore/doc_store.h"
#include "salesops/warning/v1/warning_resources.pb.h"
#include "salesops/warning/v1/warning_store.pb.h"

namespace salesops::warning {

using salesops::Versioned;

inline constexpr char kKeyPrefix[] = "warn:{warn}:";
std::string WarnKey(absl::string_view suffix);

inline constexpr char kWarningDoc[] = "warning";
inline constexpr char kRuleDoc[] = "rule";
inline constexpr char kProposalDoc[] = "proposal";
inline constexpr char kSubjectDoc[] = "subject";

// Id of a new warning or proposal: sorts newest first (inverted microseconds)
// and is unique (random suffix).
std::string NewDescendingId(absl::Time now);

class WarningStore : public DocStore {
 public:
  WarningStore(RedisClient& redis, TransactionalOutbox& outbox);
  // For api unit tests: InMemoryKv as both.
  WarningStore(KvReader& kv, BatchCommitter& committer);

  static std::string DocKey(absl::string_view kind, absl::string_view id) {
    return DocKeyWith(kKeyPrefix, kind, id);
  }
  static std::string Index(absl::string_view name, absl::string_view value = "") {
    return IndexWith(kKeyPrefix, name, value);
  }
  static void PutDoc(WriteBatch& b, absl::string_view kind, absl::string_view id,
                     const google::protobuf::Message& doc, int64_t expect_version) {
    PutDocWith(kKeyPrefix, b, kind, id, doc, expect_version);
  }
  // A document the write changes besides the one it is about (the warning a new
  // proposal is listed on): a race on it is WRITE_CONFLICT and runs again, never
  // ETAG_MISMATCH.
  static void PutOtherDoc(WriteBatch& b, absl::string_view kind, absl::string_view id,
                          const google::protobuf::Message& doc, int64_t expect_version) {
    PutDocWith(kKeyPrefix, b, kind, id, doc, expect_version, "also_changed");
  }
  // The document's next version, its content unchanged, guarded like PutDoc: a
  // write that must fail the guards of evaluations made on what it changes
  // elsewhere (a period subject's pipeline figure).
  static void TouchDoc(WriteBatch& b, absl::string_view kind, absl::string_view id,
                       int64_t expect_version) {
    TouchDocWith(kKeyPrefix, b, kind, id, expect_version);
  }

  // ---- Subjects.
  static std::string ActiveKey(absl::string_view subject_key);  // hash rule → warning id
  static std::string PipelineKey();                             // hash rep/team → minor
  static std::string PeriodsKey(absl::string_view who);         // set of subject keys
  static std::string DueKey();                                  // zset subject key → seconds
  // Period subjects whose evaluation waits for the consumers to catch up
  // (zset subject key → seconds when deferred), and the last word of a
  // replica that is behind (string "<wall-clock seconds until which it counts>
  // <replica>", with the same Redis expiry).
  static std::string DeferredKey();
  static std::string BehindKey();
  static std::string SubjectsIndex();  // lex index of subject keys

  absl::StatusOr<std::optional<Versioned<v1::SubjectState>>> GetSubject(const std::string& key) {
    return Get<v1::SubjectState>(kSubjectDoc, key);
  }
  // Active warnings of a subject (rule → warning with version).
  absl::StatusOr<std::vector<Versioned<v1::Warning>>> ActiveWarnings(
      const std::string& subject_key);
  absl::StatusOr<int64_t> Pipeline(const std::string& who);
  absl::StatusOr<std::vector<std::string>> PeriodSubjects(const std::string& who);
  // The same for many at once (the consumer's waves), parallel to the arguments.
  // One round trip.
  absl::StatusOr<std::vector<std::vector<std::string>>> PeriodSubjectsMany(
      const std::vector<std::string>& whos);
  struct PipelineAndActive {
    std::vector<int64_t> pipeline;                            // parallel to whos
    std::vector<std::vector<Versioned<v1::Warning>>> active;  // parallel to subject_keys
  };
  // Pipeline(who) of each of `whos` and ActiveWarnings(key) of each of `subject_keys`:
  // two round trips (one without active warnings).
  absl::StatusOr<PipelineAndActive> PipelineAndActiveMany(
      const std::vector<std::string>& whos, const std::vector<std::string>& subject_keys);

  // ---- Warning indexes. `units` = the subject team and its ancestors ("orgUnits/{id}").
  // Index names: "w:all", "w:unit:<unit>", "w:sup:<member>", "w:rep:<member>",
  // "w:subj:<subject>", each with an ":active" twin.
  enum class WarningsBy { kAll, kUnit, kSupervisor, kRep, kSubject };
  static std::string WarningIndex(WarningsBy dim, absl::string_view value, bool active);
  static void IndexWarning(WriteBatch& b, const v1::Warning& w,
                           const std::vector<std::string>& units, bool active);
  static void UnindexActive(WriteBatch& b, const v1::Warning& w,
                            const std::vector<std::string>& units);

  // ---- Proposals: "p:all", "p:unit:<unit>" (each ancestor), "p:warning:<w>", "p:author:<m>",
  // "p:owner:<m>" (owners of its decided actions).
  enum class ProposalsBy { kAll, kUnit, kWarning, kAuthor, kActionOwner };
  static std::string ProposalIndex(ProposalsBy dim, absl::string_view value);
  // A new proposal (id) in every index but kActionOwner.
  static void IndexProposal(WriteBatch& b, const std::string& id, const v1::StrategyProposal& p,
                            const std::string& warning,
                            const std::vector<std::string>& unit_and_ancestors);

  // ---- Rules: lex index of rule ids, and a counter bumped on every change.
  static std::string RulesIndex();
  static std::string RulesVersionKey();
};

}  // namespace salesops::warning
