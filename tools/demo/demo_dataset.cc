#include "tools/demo/demo_dataset.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace salesops::demo {

uint64_t SplitMix64::Next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Multiply-shift: exactly one Next() per draw (no rejection loop), so the
// number of draws never depends on the values drawn.
uint64_t SplitMix64::Below(uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
}

int64_t SplitMix64::Between(int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
}

size_t SplitMix64::Weighted(const std::vector<int>& weights) {
  uint64_t total = 0;
  for (int w : weights) {
    total += static_cast<uint64_t>(w);
  }
  uint64_t r = Below(total);
  for (size_t i = 0; i < weights.size(); ++i) {
    if (r < static_cast<uint64_t>(weights[i])) {
      return i;
    }
    r -= static_cast<uint64_t>(weights[i]);
  }
  return weights.size() - 1;
}

namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kHour = 3600;
// "The last 8 quarters": 8 × 91 days before now.
constexpr int64_t kWindow = 728 * kDay;
// Contracts for deals won within the last 4 quarters.
constexpr int64_t kContractWindow = 364 * kDay;

absl::TimeZone China() { return absl::FixedTimeZone(8 * 3600); }

Date FromCivil(absl::CivilDay d) { return {static_cast<int>(d.year()), d.month(), d.day()}; }
absl::CivilDay ToCivil(const Date& d) { return absl::CivilDay(d.year, d.month, d.day); }
Date AddDays(const Date& d, int64_t days) { return FromCivil(ToCivil(d) + days); }
int64_t DaysBetween(const Date& from, const Date& to) { return ToCivil(to) - ToCivil(from); }

template <typename T, size_t N>
const T& Pick(SplitMix64& rng, const T (&items)[N]) {
  return items[rng.Below(N)];
}

struct City {
  const char* region_key;
  const char* name;
  const char* area_code;
  const char* division;  // 6-digit administrative division code (USCC positions 3–8)
  const char* districts[4];
};

const City kCities[] = {
    {"east", "上海", "021", "310115", {"浦东新", "徐汇", "闵行", "静安"}},
    {"east", "杭州", "0571", "330106", {"西湖", "滨江", "余杭", "拱墅"}},
    {"east", "南京", "025", "320106", {"鼓楼", "建邺", "江宁", "玄武"}},
    {"east", "苏州", "0512", "320505", {"姑苏", "虎丘", "吴中", "相城"}},
    {"east", "宁波", "0574", "330212", {"鄞州", "海曙", "江北", "北仑"}},
    {"south", "广州", "020", "440106", {"天河", "海珠", "越秀", "番禺"}},
    {"south", "深圳", "0755", "440305", {"南山", "福田", "宝安", "龙岗"}},
    {"south", "厦门", "0592", "350203", {"思明", "湖里", "集美", "海沧"}},
    {"south", "东莞", "0769", "441900", {"南城", "东城", "莞城", "万江"}},
    {"south", "福州", "0591", "350102", {"鼓楼", "台江", "仓山", "晋安"}},
    {"north", "北京", "010", "110108", {"海淀", "朝阳", "东城", "丰台"}},
    {"north", "天津", "022", "120116", {"滨海新", "和平", "南开", "河西"}},
    {"north", "济南", "0531", "370102", {"历下", "市中", "槐荫", "历城"}},
    {"north", "青岛", "0532", "370212", {"崂山", "市南", "市北", "黄岛"}},
    {"north", "石家庄", "0311", "130102", {"长安", "桥西", "新华", "裕华"}},
};

const char* const kTradeNames[] = {
    "华信", "恒通", "锦程", "瑞丰", "宏达", "天成", "鼎盛", "博远", "中科", "金石", "嘉禾", "永泰",
    "正元", "德润", "新宇", "华康", "盛世", "安联", "合众", "远航", "晨光", "星火", "云帆", "海纳",
    "众诚", "泰和", "凯瑞", "联创", "明德", "百川", "立信", "同舟", "卓越", "睿智", "汇通", "华越",
    "祥和", "兴业", "北辰", "南洋", "天宇", "润泽", "信达", "光明", "宏图", "金桥", "银河", "蓝海",
    "青松", "鸿运", "万象", "启航", "致远", "精诚", "开元", "广源", "恒升", "东升", "新锐", "志成"};

struct Industry {
  const char* word;
  const char* code;
};
const Industry kIndustries[] = {
    {"科技", "technology"}, {"智能制造", "manufacturing"}, {"贸易", "trade"},
    {"物流", "logistics"},  {"医药", "healthcare"},        {"电子", "electronics"},
    {"食品", "food"},       {"建材", "construction"},      {"化工", "chemicals"},
    {"服饰", "apparel"},    {"软件", "software"},          {"能源", "energy"},
    {"商贸", "retail"},     {"金融服务", "finance"},
};

const char* const kAgencies[] = {"数据资源管理局", "交通运输局",
                                 "教育局",         "卫生健康委员会",
                                 "人民医院",       "公安局",
                                 "税务局",         "自然资源局",
                                 "水务局",         "生态环境局",
                                 "中心医院",       "政务服务中心",
                                 "应急管理局",     "人力资源和社会保障局",
                                 "市场监督管理局"};

const char* const kRoads[] = {"中山路", "人民路", "解放路",   "建设路",   "科技路",   "文化路",
                              "长江路", "和平路", "创业大道", "滨江大道", "工业园路", "学府路"};

const char* const kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
                                 "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗",
                                 "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹"};
const char* const kGiven[] = {
    "伟",   "芳",   "娜",   "敏",   "静",   "丽",   "强",   "磊",   "军",   "洋",   "勇",   "艳",
    "杰",   "娟",   "涛",   "明",   "超",   "秀英", "霞",   "平",   "刚",   "桂英", "晨",   "浩",
    "建国", "志强", "海燕", "文博", "子涵", "雨桐", "思远", "嘉怡", "宇航", "欣然", "俊杰", "婷婷"};

const char* const kCompanyTitles[] = {"总经理", "采购经理", "信息中心主任", "财务总监", "IT经理",
                                      "副总裁", "技术总监", "行政主管",     "运营总监", "CIO"};
const char* const kGovernmentTitles[] = {"处长",       "副处长", "科长",
                                         "信息科科长", "主任",   "办公室主任"};
const char* const kMobilePrefixes[] = {"130", "131", "132", "135", "136", "137", "138", "139",
                                       "150", "151", "152", "158", "159", "186", "187", "188"};

const char* const kSources[] = {"exhibition", "referral", "website",
                                "cold_call",  "partner",  "marketing_campaign"};
const int kSourceWeights[] = {20, 25, 20, 15, 12, 8};

const char* const kProjectWords[] = {"采购项目", "扩容项目",     "升级项目", "二期项目",
                                     "试点项目", "年度框架项目", "建设项目", "续费项目"};
const char* const kNextSteps[] = {"安排技术交流", "提交报价单", "准备投标文件", "商务谈判",
                                  "合同条款评审", "需求调研",   "安排高层拜访", "POC 测试"};
const char* const kLostReasons[] = {"客户预算削减", "选择了竞争对手", "项目取消", "价格高于预期",
                                    "需求变更，暂缓采购"};
const char* const kCompetitors[] = {"阿里云", "华为云", "腾讯云", "浪潮",
                                    "用友",   "深信服", "奇安信", "新华三"};

const char* const kTopics[] = {"数据安全合规", "上云迁移", "成本优化", "运维自动化",
                               "数据中台",     "设备联网", "等保测评", "业务连续性"};
const char* const kOutcomePhrases[] = {
    "",  // unused (UNSPECIFIED)
    "客户同意安排下一步技术交流。", "客户表示需要内部讨论后再答复。",
    "客户对价格和交付周期有异议。", "未能联系上对方，约定改日再联系。"};

constexpr char kUsccChars[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";  // 31 characters
constexpr int kUsccWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

// Unified social credit code (GB 32100-2015) with valid check characters: the
// organisation code (positions 9–17) carries its GB 11714 check digit, the
// whole code its mod-31 check character.
std::string UnifiedSocialCreditCode(SplitMix64& rng, bool government, const char* division) {
  std::string code = government ? "11" : "91";
  code += division;
  std::string org;
  const bool new_style = rng.Percent(60);
  for (int i = 0; i < 8; ++i) {
    // New-style organisation codes start "MA" and may hold letters.
    const uint64_t r = rng.Below(31);
    if (new_style && i == 0) {
      org += 'M';
    } else if (new_style && i == 1) {
      org += 'A';
    } else if (new_style) {
      org += kUsccChars[r];
    } else {
      org += static_cast<char>('0' + r % 10);
    }
  }
  static constexpr int kOrgWeights[8] = {3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 8; ++i) {
    const char c = org[i];
    const int v = c >= '0' && c <= '9' ? c - '0' : c - 'A' + 10;
    sum += v * kOrgWeights[i];
  }
  const int c9 = 11 - sum % 11;
  org += c9 == 10 ? 'X' : c9 == 11 ? '0' : static_cast<char>('0' + c9);
  code += org;
  int total = 0;
  for (int i = 0; i < 17; ++i) {
    total += static_cast<int>(std::string_view(kUsccChars).find(code[i])) * kUsccWeights[i];
  }
  code += kUsccChars[(31 - total % 31) % 31];
  return code;
}

std::string Digits(SplitMix64& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    s += static_cast<char>('0' + rng.Below(10));
  }
  return s;
}

std::string PersonName(SplitMix64& rng) {
  return absl::StrCat(Pick(rng, kSurnames), Pick(rng, kGiven));
}

struct Generator {
  const DemoOrg& org;
  const DatasetOptions& options;
  SplitMix64 rng;
  Dataset data;
  absl::flat_hash_set<std::string> names, tax_ids, phones;

  absl::Time Back(int64_t seconds) const { return options.now - absl::Seconds(seconds); }

  void Customer(int index);
  void Opportunity(int index, const std::vector<int64_t>& cumulative_weights,
                   const std::vector<int>& owned);
  void Activities(OpportunitySpec& o, const CustomerSpec& c, int64_t create_back, int64_t end_back);
  void Contract(OpportunitySpec& o, const CustomerSpec& c, const std::string& product_line);
};

void Generator::Customer(int index) {
  CustomerSpec c;
  c.id = absl::StrFormat("%s-c-%05d", options.id_prefix, index + 1);
  const City& city = Pick(rng, kCities);
  const DemoRegion* region = &org.regions[0];
  for (const DemoRegion& r : org.regions) {
    if (r.key == city.region_key) {
      region = &r;
    }
  }
  const DemoTeam& team = region->teams[rng.Below(region->teams.size())];
  c.owner_id = team.rep_ids[rng.Below(team.rep_ids.size())];
  c.team_id = team.id;
  c.region_id = region->id;
  c.in_pool = rng.Percent(8) && index != 0;  // customer 0 always owned, so tiny sets have deals
  static const char* const kTypes[] = {"enterprise", "smb", "government"};
  size_t type = rng.Weighted({55, 35, 10});

  // Names are unique; redraw on a clash (each draw uses the same number of
  // random values, so the sequence stays platform-independent).
  std::string name, short_name, industry;
  for (int attempt = 0;; ++attempt) {
    const std::string trade = Pick(rng, kTradeNames);
    const Industry& ind = Pick(rng, kIndustries);
    const char* agency = Pick(rng, kAgencies);
    const uint64_t district = rng.Below(5);  // 4 = the city itself
    const bool joint_stock = rng.Percent(30);
    if (attempt >= 40 && type == 2) {
      type = 0;  // government names exhausted: make it a company
    }
    if (type == 2) {
      short_name = district == 4 ? absl::StrCat(city.name, "市")
                                 : absl::StrCat(city.name, "市", city.districts[district], "区");
      name = absl::StrCat(short_name, agency);
      short_name = name;
      industry = "government";
    } else {
      short_name = absl::StrCat(city.name, trade);
      name = absl::StrCat(short_name, ind.word,
                          joint_stock && type == 0 ? "股份有限公司" : "有限公司");
      industry = ind.code;
    }
    if (names.insert(name).second) {
      break;
    }
  }
  c.display_name = name;
  c.short_name = short_name;
  c.customer_type = kTypes[type];
  c.industry = industry;
  static const char* const kSizes[] = {"small", "medium", "large", "key_account"};
  const std::vector<int> size_weights[] = {{0, 40, 40, 20}, {75, 25, 0, 0}, {0, 50, 50, 0}};
  c.size = kSizes[rng.Weighted(size_weights[type])];
  c.source = kSources[rng.Weighted(
      std::vector<int>(std::begin(kSourceWeights), std::end(kSourceWeights)))];

  for (;;) {
    std::string tax = UnifiedSocialCreditCode(rng, type == 2, city.division);
    if (tax_ids.insert(tax).second) {
      c.tax_id = std::move(tax);
      break;
    }
  }
  for (;;) {
    std::string phone = absl::StrCat(city.area_code, "-", rng.Between(2, 8), Digits(rng, 7));
    if (phones.insert(phone).second) {
      c.phone = std::move(phone);
      break;
    }
  }
  const uint64_t district = rng.Below(4);
  c.address = absl::StrCat(city.name, "市", city.districts[district], "区", Pick(rng, kRoads),
                           rng.Between(1, 999), "号");

  // Labels, drawn unconditionally and kept by key order.
  static const char* const kRatings[] = {"AAA", "AA", "A", "BBB"};
  static const char* const kErps[] = {"sap", "kingdee", "yonyou", "oracle", "none"};
  const bool rated = rng.Percent(60);
  const char* rating = Pick(rng, kRatings);
  const bool erp = rng.Percent(30);
  const char* erp_name = Pick(rng, kErps);
  const bool listed = rng.Percent(30);
  const bool priority = rng.Percent(15);
  if (rated) {
    c.labels.emplace_back("credit_rating", rating);
  }
  if (erp && type != 2) {
    c.labels.emplace_back("erp", erp_name);
  }
  if (listed && type == 0 && (c.size == "large" || c.size == "key_account")) {
    c.labels.emplace_back("listed", "true");
  }
  if (priority) {
    c.labels.emplace_back("priority", "high");
  }

  const size_t contacts = 1 + rng.Weighted({30, 45, 25});
  for (size_t j = 0; j < contacts; ++j) {
    ContactSpec ct;
    ct.contact_id = absl::StrCat("ct-", j + 1);
    ct.display_name = PersonName(rng);
    ct.title = type == 2 ? Pick(rng, kGovernmentTitles) : Pick(rng, kCompanyTitles);
    ct.phone = absl::StrCat(Pick(rng, kMobilePrefixes), Digits(rng, 8));
    const bool email = rng.Percent(40);
    const bool wechat = rng.Percent(50);
    std::string wx = "wxid_";
    for (int k = 0; k < 10; ++k) {
      wx += "abcdefghijklmnopqrstuvwxyz0123456789"[rng.Below(36)];
    }
    if (email) {
      ct.email = absl::StrCat("contact", j + 1, "@c", index + 1, ".demo.example.cn");
    }
    if (wechat) {
      ct.wechat_id = wx;
    }
    ct.primary = j == 0;
    c.contacts.push_back(std::move(ct));
  }
  // Filled in once the opportunities are known.
  c.create_time = absl::InfinitePast();
  data.customers.push_back(std::move(c));
}

void Generator::Opportunity(int index, const std::vector<int64_t>& cumulative_weights,
                            const std::vector<int>& owned) {
  OpportunitySpec o;
  o.id = absl::StrFormat("%s-o-%06d", options.id_prefix, index + 1);
  const int64_t r =
      static_cast<int64_t>(rng.Below(static_cast<uint64_t>(cumulative_weights.back())));
  const size_t pick = static_cast<size_t>(
      std::upper_bound(cumulative_weights.begin(), cumulative_weights.end(), r) -
      cumulative_weights.begin());
  o.customer = owned[pick];
  const CustomerSpec& c = data.customers[static_cast<size_t>(o.customer)];
  o.owner_id = c.owner_id;
  const DemoUnit& pl = org.product_lines[rng.Weighted({35, 25, 25, 15}) % org.product_lines.size()];
  o.product_line_id = pl.id;
  static const char* const kChannels[] = {"direct", "partner", "online"};
  o.channel = kChannels[rng.Weighted({60, 30, 10})];
  o.display_name = absl::StrCat(c.short_name, pl.display_name, Pick(rng, kProjectWords));
  const char* next_step = Pick(rng, kNextSteps);

  // Amounts: 5万..200万 yuan, skewed small, in whole thousands of yuan.
  static const int64_t kBuckets[][2] = {
      {50, 99}, {100, 199}, {200, 499}, {500, 999}, {1000, 2000}};  // thousands of yuan
  const auto& bucket = kBuckets[rng.Weighted({30, 28, 24, 12, 6})];
  o.amount_minor = rng.Between(bucket[0], bucket[1]) * 1000 * 100;

  // The planned path, as gaps (seconds) between consecutive changes.
  static const Stage kForward[] = {Stage::kQualified, Stage::kProposal, Stage::kNegotiation,
                                   Stage::kContract, Stage::kWon};
  const size_t outcome = rng.Weighted({35, 25, 40});             // won, lost, open
  const size_t lost_after = rng.Weighted({20, 30, 25, 20, 5});   // steps before LOST
  const size_t open_steps = rng.Weighted({30, 25, 20, 15, 10});  // ends at LEAD … CONTRACT
  const size_t forward = outcome == 0 ? 5 : outcome == 1 ? lost_after : open_steps;
  std::vector<int64_t> gaps;
  int64_t amount = o.amount_minor;
  for (size_t i = 0; i < 5; ++i) {
    const int64_t gap = rng.Between(2 * kDay, 35 * kDay);
    const bool discount = rng.Percent(40);
    const int64_t pct = rng.Between(2, 12);
    if (i >= forward) {
      continue;
    }
    StageStep step;
    step.stage = kForward[i];
    if (step.stage == Stage::kNegotiation && discount) {
      amount = amount * (100 - pct) / 100 / 10000 * 10000;  // whole hundreds of yuan
      step.amount_minor = amount;
    }
    o.path.push_back(std::move(step));
    gaps.push_back(gap);
  }
  {
    const int64_t gap = rng.Between(3 * kDay, 45 * kDay);
    const size_t reason = rng.Below(std::size(kLostReasons));
    const bool named = rng.Percent(70);
    const char* competitor = Pick(rng, kCompetitors);
    if (outcome == 1) {
      StageStep step;
      step.stage = Stage::kLost;
      step.reason = kLostReasons[reason];
      if (named && (reason == 1 || reason == 3)) {
        step.lost_to_competitor = competitor;
      }
      o.path.push_back(std::move(step));
      gaps.push_back(gap);
    }
  }
  int64_t elapsed = 0;
  for (int64_t g : gaps) {
    elapsed += g;
  }

  // Place it in time: closed deals uniformly over the window, open ones skewed
  // towards recent; closed deals end at least a day before now, so sign and
  // payment dates are in the past in any time zone.
  const int64_t margin =
      outcome == 2 ? rng.Between(kHour, 3 * kDay) : rng.Between(kDay + kHour, 5 * kDay);
  const int64_t room = std::max<int64_t>(0, kWindow - elapsed - margin);
  const int64_t u1 = rng.Between(0, room);
  const int64_t u2 = rng.Between(0, room);
  const int64_t create_back = elapsed + margin + (outcome == 2 ? std::min(u1, u2) : u1);
  o.create_time = Back(create_back);
  int64_t back = create_back;
  for (size_t i = 0; i < o.path.size(); ++i) {
    back -= gaps[i];
    o.path[i].time = Back(back);
  }
  const int64_t close_offset = rng.Between(7, 150);
  if (outcome == 2) {
    o.next_step = next_step;
    o.expected_close_date = ChinaDate(Back(-close_offset * kDay));
  } else {
    o.expected_close_date = ChinaDate(o.path.back().time);
  }
  // Won within the last 4 quarters: the contract carries the win.
  const bool contract = outcome == 0 && back <= kContractWindow;
  const int64_t end_back = outcome == 2 ? 30 * 60 : back;
  Activities(o, c, create_back, end_back);
  if (contract) {
    o.has_contract = true;
    o.contract.sign_time = o.path.back().time;
    o.path.pop_back();  // WON comes from SignContract
    Contract(o, c, pl.display_name);
  }
  data.opportunities.push_back(std::move(o));
}

void Generator::Activities(OpportunitySpec& o, const CustomerSpec& c, int64_t create_back,
                           int64_t end_back) {
  const int n = rng.Percent(45) ? 2 : 1;
  const std::string& pl = o.display_name;
  std::vector<ActivitySpec> list;
  for (int i = 0; i < n; ++i) {
    ActivitySpec a;
    a.kind = static_cast<ActivityKind>(1 + rng.Weighted({35, 35, 15, 15}));
    a.outcome = static_cast<ActivityOutcome>(1 + rng.Weighted({40, 35, 12, 13}));
    if (a.kind == ActivityKind::kEmail && a.outcome == ActivityOutcome::kNoContact) {
      a.outcome = ActivityOutcome::kNeutral;
    }
    const ContactSpec& ct = c.contacts[rng.Below(c.contacts.size())];
    const char* topic = Pick(rng, kTopics);
    const int64_t d = static_cast<int64_t>(rng.Below(61));
    const int64_t span = create_back - end_back;
    const int64_t offset = rng.Between(1, std::max<int64_t>(1, span - 1));
    a.occur_time = Back(create_back - offset);
    a.contact_id = ct.contact_id;
    const std::string who = absl::StrCat(ct.display_name, "（", ct.title, "）");
    switch (a.kind) {
      case ActivityKind::kVisit:
        a.summary = absl::StrCat("上门拜访", who, "，介绍", pl, "方案，重点讨论", topic, "。");
        a.duration_minutes = static_cast<int>(60 + d);
        a.location = c.address;
        break;
      case ActivityKind::kCall:
        a.summary = absl::StrCat("电话沟通", pl, "进展，", who, "关注", topic, "。");
        a.duration_minutes = static_cast<int>(5 + d % 26);
        break;
      case ActivityKind::kMeeting:
        a.summary = absl::StrCat("与", who, "及其团队召开方案评审会，议题：", topic, "。");
        a.duration_minutes = static_cast<int>(30 + d);
        break;
      case ActivityKind::kEmail:
        a.summary = absl::StrCat("向", who, "发送", pl, "方案资料及", topic, "案例。");
        a.duration_minutes = 0;
        break;
    }
    a.summary += kOutcomePhrases[static_cast<int>(a.outcome)];
    list.push_back(std::move(a));
  }
  std::stable_sort(list.begin(), list.end(), [](const ActivitySpec& x, const ActivitySpec& y) {
    return x.occur_time < y.occur_time;
  });
  for (ActivitySpec& a : list) {
    a.id = absl::StrFormat("%s-a-%07d", options.id_prefix, ++data.activity_count);
  }
  o.activities = std::move(list);
}

void Generator::Contract(OpportunitySpec& o, const CustomerSpec& c,
                         const std::string& product_line) {
  ContractSpec& k = o.contract;
  const int seq = ++data.contract_count;
  k.id = absl::StrFormat("%s-k-%06d", options.id_prefix, seq);
  k.sign_date = ChinaDate(k.sign_time);
  k.contract_number = absl::StrFormat("HT%d%06d", k.sign_date.year, seq);
  k.title = absl::StrCat(c.short_name, product_line, "采购合同");
  k.amount_minor = o.FinalAmountMinor();
  k.start_date = AddDays(k.sign_date, rng.Between(0, 14));
  // One-year service, or two when one year would already be over (so the
  // server does not see a finished contract before its payments are loaded).
  const Date today = ChinaDate(options.now);
  k.end_date = AddDays(k.start_date, 364);
  if (k.end_date <= AddDays(today, 30)) {
    k.end_date = AddDays(k.start_date, 729);
  }

  static const std::vector<std::vector<int64_t>> kSplits[] = {
      {{100}},
      {{50, 50}, {60, 40}, {30, 70}},
      {{30, 40, 30}, {40, 30, 30}, {20, 50, 30}, {30, 30, 40}}};
  const auto& options_for_n = kSplits[rng.Weighted({40, 35, 25})];
  const std::vector<int64_t>& split = options_for_n[rng.Below(options_for_n.size())];
  // Latest payment date: yesterday in China (never "today" in another zone).
  const Date last_day = ChinaDate(options.now - absl::Hours(24));
  Date due = AddDays(k.sign_date, rng.Between(7, 30));
  int64_t assigned = 0;
  for (size_t i = 0; i < split.size(); ++i) {
    InstalmentSpec in;
    in.instalment_id = absl::StrCat(i + 1);
    if (i > 0) {
      due = AddDays(due, rng.Between(60, 120));
    }
    in.due_date = due;
    in.amount_minor =
        i + 1 == split.size() ? k.amount_minor - assigned : k.amount_minor * split[i] / 100;
    assigned += in.amount_minor;
    const bool pays = rng.Percent(88);
    const int64_t delay = rng.Between(-5, 25);
    const bool early = rng.Percent(10);
    const uint64_t early_day = rng.Below(1000);
    if (due <= last_day && pays) {
      in.paid = true;
      in.received_date = std::min(AddDays(due, delay), last_day);
    } else if (due > last_day && early && k.sign_date <= last_day) {
      in.paid = true;
      const int64_t days = DaysBetween(k.sign_date, last_day);
      in.received_date = AddDays(k.sign_date, static_cast<int64_t>(early_day) % (days + 1));
    }
    if (in.paid && in.received_date < k.sign_date) {
      in.received_date = k.sign_date;
    }
    if (in.paid) {
      ++data.paid_instalment_count;
    }
    k.instalments.push_back(std::move(in));
  }
}

}  // namespace

Date ChinaDate(absl::Time t) { return FromCivil(absl::ToCivilDay(t, China())); }

Stage OpportunitySpec::FinalStage() const {
  if (has_contract) {
    return Stage::kWon;
  }
  return path.empty() ? Stage::kLead : path.back().stage;
}

int64_t OpportunitySpec::FinalAmountMinor() const {
  int64_t amount = amount_minor;
  for (const StageStep& s : path) {
    if (s.amount_minor > 0) {
      amount = s.amount_minor;
    }
  }
  return amount;
}

absl::Time OpportunitySpec::CloseTime() const {
  if (has_contract) {
    return contract.sign_time;
  }
  const Stage s = FinalStage();
  if (s == Stage::kWon || s == Stage::kLost) {
    return path.back().time;
  }
  return absl::InfiniteFuture();
}

const char* StageName(Stage stage) {
  switch (stage) {
    case Stage::kLead:
      return "LEAD";
    case Stage::kQualified:
      return "QUALIFIED";
    case Stage::kProposal:
      return "PROPOSAL";
    case Stage::kNegotiation:
      return "NEGOTIATION";
    case Stage::kContract:
      return "CONTRACT";
    case Stage::kWon:
      return "WON";
    case Stage::kLost:
      return "LOST";
  }
  return "UNSPECIFIED";
}

Dataset GenerateDataset(const DemoOrg& org, const DatasetOptions& options) {
  Generator g{org, options, SplitMix64(options.seed), {}, {}, {}, {}};
  const int customers =
      std::max<int>(1, static_cast<int>(std::llround(kDemoCustomers * options.scale)));
  const int opportunities =
      std::max<int>(0, static_cast<int>(std::llround(kDemoOpportunities * options.scale)));
  g.data.customers.reserve(static_cast<size_t>(customers));
  for (int i = 0; i < customers; ++i) {
    g.Customer(i);
  }

  // Bigger customers get more deals.
  std::vector<int> owned;
  std::vector<int64_t> cumulative;
  int64_t total = 0;
  for (size_t i = 0; i < g.data.customers.size(); ++i) {
    const CustomerSpec& c = g.data.customers[i];
    if (c.in_pool) {
      continue;
    }
    total += c.size == "key_account" ? 7 : c.size == "large" ? 4 : c.size == "medium" ? 2 : 1;
    owned.push_back(static_cast<int>(i));
    cumulative.push_back(total);
  }
  g.data.opportunities.reserve(static_cast<size_t>(opportunities));
  for (int i = 0; i < opportunities; ++i) {
    g.Opportunity(i, cumulative, owned);
  }

  for (size_t i = 0; i < g.data.opportunities.size(); ++i) {
    g.data.customers[static_cast<size_t>(g.data.opportunities[i].customer)].opportunities.push_back(
        static_cast<int>(i));
  }
  for (CustomerSpec& c : g.data.customers) {
    const int64_t before_first = g.rng.Between(kDay, 90 * kDay);
    const int64_t standalone = g.rng.Between(30 * kDay, 900 * kDay);
    const auto& opps = g.data.opportunities;
    std::stable_sort(c.opportunities.begin(), c.opportunities.end(), [&](int a, int b) {
      return opps[static_cast<size_t>(a)].create_time < opps[static_cast<size_t>(b)].create_time;
    });
    c.create_time = c.opportunities.empty()
                        ? g.Back(standalone)
                        : opps[static_cast<size_t>(c.opportunities.front())].create_time -
                              absl::Seconds(before_first);
  }
  return std::move(g.data);
}

}  // namespace salesops::demo
