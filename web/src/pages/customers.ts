// 客户: the customers in scope (search by name), and one customer's detail:
// tier, owner, contacts, open deals and the latest follow-ups.
import { debounce, h } from "../dom.js";
import { money, when } from "../format.js";
import { t } from "../i18n.js";
import { matches, type Page, type PageContext } from "../page.js";
import { CustomerTier, OpportunityStage } from "../gen/salesops/customers/v1/customers_resources_pb.js";
import { fillBox, section } from "./common.js";

function tierText(tier: CustomerTier): string {
  return tier === CustomerTier.UNSPECIFIED ? "—" : CustomerTier[tier];
}

function listScope(ctx: PageContext) {
  if (ctx.session.role === "rep") return { owner: ctx.session.member };
  if (ctx.session.role === "supervisor") return { team: ctx.session.orgUnit };
  if (ctx.session.role === "director" && ctx.session.orgUnit) return { region: ctx.session.orgUnit };
  return {};
}

function detail(root: HTMLElement, ctx: PageContext, id: string): () => void {
  const tr = t();
  const name = `customers/${id}`;
  const body = h("div", {});
  root.append(h("a", { href: "#/customers", class: "back" }, `‹ ${tr.back}`), body);
  const load = () =>
    fillBox(body, async () => {
      const [c, acts, opps] = await Promise.all([
        ctx.api.customers.getCustomer({ name }),
        ctx.api.customers.listActivities({ customer: name, pageSize: 20 }),
        ctx.api.customers.listOpportunities({ customer: name, pageSize: 50 }),
      ]);
      const cu = c.customer!;
      return h("div", { "data-testid": "customer" },
        h("h1", {}, cu.displayName),
        h("div", { class: "stats" },
          h("div", { class: "stat" }, h("div", { class: "stat-label" }, tr.tier), h("div", { class: "stat-value" }, tierText(cu.tier))),
          h("div", { class: "stat" }, h("div", { class: "stat-label" }, tr.owner), h("div", { class: "stat-value small" }, ctx.names(cu.owner))),
          h("div", { class: "stat" }, h("div", { class: "stat-label" }, tr.lastActivity), h("div", { class: "stat-value small" }, when(cu.lastActivityTime))),
          h("div", { class: "stat" }, h("div", { class: "stat-label" }, tr.nextVisit), h("div", { class: "stat-value small" }, when(cu.nextVisitDueTime)))),
        section(tr.contacts, h("ul", { class: "deals" }, cu.contacts.map((p) => h("li", {}, h("div", { class: "who" }, p.displayName), h("div", { class: "muted" }, `${p.title} · ${p.phone}`))))),
        section(tr.pipeline, h("ul", { class: "deals" }, opps.opportunities.map((o) =>
          h("li", {}, h("div", { class: "who" }, o.displayName),
            h("div", { class: "muted" }, tr.stage[`OPPORTUNITY_STAGE_${OpportunityStage[o.stage]}`] ?? ""),
            h("div", { class: "num" }, money(o.amount)))))),
        section(tr.followUps, acts.activities.length === 0 ? h("p", { class: "muted" }, tr.empty) :
          h("ul", { class: "deals" }, acts.activities.map((a) =>
            h("li", {}, h("div", {}, a.summary), h("div", { class: "muted" }, `${when(a.occurTime)} · ${ctx.names(a.performedBy)}`))))));
    });
  void load();
  const re = debounce(() => void load(), 300);
  const unsub = ctx.stream.subscribe((e) => {
    const subject = JSON.stringify(e.data);
    if (matches(e, ["CustomerUpdated", "CustomerTierChanged", "ActivityLogged", "OpportunityStageChanged", "OpportunityCreated"]) && subject.includes(name)) re();
  });
  return unsub;
}

export const customersPage: Page = (root, ctx) => {
  if (ctx.params[0]) return detail(root, ctx, ctx.params[0]);
  const tr = t();
  const query = h("input", { type: "search", placeholder: tr.search, "aria-label": tr.search });
  const list = h("div", { "data-testid": "customers" });
  root.append(h("h1", {}, tr.customers), query, list);
  const load = () =>
    fillBox(list, async () => {
      const r = await ctx.api.customers.listCustomers({ ...listScope(ctx), query: query.value.trim(), pageSize: 50 });
      if (r.customers.length === 0) return h("p", { class: "muted" }, tr.empty);
      return h("ul", { class: "deals" },
        r.customers.map((c) =>
          h("li", {},
            h("a", { href: `#/customers/${c.name.slice("customers/".length)}`, class: "who" }, c.displayName),
            h("div", { class: "muted" }, `${tr.tier} ${tierText(c.tier)} · ${ctx.names(c.owner)} · ${tr.lastActivity} ${when(c.lastActivityTime)}`))));
    });
  const search = debounce(() => void load(), 300);
  query.addEventListener("input", search);
  void load();
  const unsub = ctx.stream.subscribe((e) => {
    if (matches(e, ["CustomerCreated", "CustomerTierChanged", "CustomerHandedOver"])) search();
  });
  return unsub;
};
