// 复盘: the biweekly reviews the performance service generates for every rep.
// The list (a rep: their own; a supervisor: their team's), and one review:
// what moved this cycle against the previous one and the team median, the
// pipeline and why deals were lost, strengths and gaps, suggestions citing
// their evidence (accept one to make it an action item), the action items
// (done / cancel, carried over while open), the outcomes of the previous
// review's coaching (before → after) and the supervisor's notes.
// Everything redraws from the live stream; an open form is never redrawn away.
import { debounce, h } from "../dom.js";
import { bp, money } from "../format.js";
import { t } from "../i18n.js";
import { errorText } from "../api.js";
import { matches, type Page, type PageContext } from "../page.js";
import {
  ActionItemState,
  KpiMetric,
  ReviewState,
  type ActionItem,
  type BiweeklyReview,
  type KpiValue,
  type Suggestion,
} from "../gen/salesops/performance/v1/performance_resources_pb.js";
import type { Date as PDate } from "../gen/salesops/common/v1/common_pb.js";
import { fillBox, section, stat } from "./common.js";

const REVIEW_EVENTS = ["ReviewGenerated", "ActionItemCompleted", "SuggestionAccepted", "ActionItemOverdue"];

function kpi(v: KpiValue | undefined): string {
  switch (v?.value.case) {
    case "money": return money(v.value.value);
    case "basisPoints": return bp(Number(v.value.value));
    case "count": return String(v.value.value);
    default: return "—";
  }
}

function day(d: PDate | undefined): string {
  return d ? `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}` : "—";
}

function isoDay(d: globalThis.Date): { year: number; month: number; day: number } {
  return { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate() };
}

function metricName(m: KpiMetric): string {
  return t().metric[`KPI_METRIC_${KpiMetric[m]}`] ?? KpiMetric[m];
}

function stateText(s: ReviewState): string {
  const tr = t();
  return s === ReviewState.CLOSED ? tr.stateClosed : s === ReviewState.DISCUSSED ? tr.stateDiscussed : tr.stateGenerated;
}

function openItems(r: BiweeklyReview): ActionItem[] {
  return r.actionItems.filter((a) => a.state === ActionItemState.OPEN && !a.carriedTo);
}

function isOverdue(a: ActionItem): boolean {
  if (!a.dueDate || a.state !== ActionItemState.OPEN) return false;
  const due = new globalThis.Date(a.dueDate.year, a.dueDate.month - 1, a.dueDate.day, 23, 59);
  return due.getTime() < Date.now();
}

function reviewId(name: string): string {
  return name.replace(/^reviews\//, "");
}

// ---- the list

function listPage(root: HTMLElement, ctx: PageContext): () => void {
  const tr = t();
  const list = h("div", { "data-testid": "reviews" });
  const supervisor = ctx.session.role === "supervisor";
  const generate = h("button", {
    class: "primary",
    "data-testid": "generate-reviews",
    onclick: async () => {
      generate.setAttribute("disabled", "");
      try {
        // Every rep of the supervisor's team, for the cycle so far.
        const members = await ctx.api.org.listMembers({ orgUnit: ctx.session.orgUnit, pageSize: 500 });
        for (const m of members.members) {
          if (m.name === ctx.session.member) continue;
          try {
            await ctx.api.performance.generateReview({ member: m.name, endDate: isoDay(new globalThis.Date()) });
          } catch {
            // a supervisor's or a discussed review: left as it is
          }
        }
        ctx.toast(tr.generated);
        void load();
      } catch (e) {
        ctx.toast(errorText(e));
      } finally {
        generate.removeAttribute("disabled");
      }
    },
  }, tr.generateNow);
  root.append(h("h1", {}, tr.reviews), h("div", { class: "actions" }, supervisor ? generate : null), list);
  const load = () =>
    fillBox(list, async () => {
      const r = await ctx.api.performance.listReviews({
        pageSize: 100,
        supervisor: supervisor ? ctx.session.member : "",
      });
      if (r.reviews.length === 0) return h("p", { class: "muted" }, tr.noReviews);
      return h("div", {}, r.reviews.map((rv) => {
        const open = openItems(rv).length;
        return h("a", { class: "card row-link", href: `#/reviews/${reviewId(rv.name)}`, "data-review": rv.name },
          h("header", {},
            h("strong", {}, ctx.names(rv.member)),
            h("span", { class: "muted" }, ` ${day(rv.startDate)} – ${day(rv.endDate)}`),
            h("span", { class: `badge${rv.state === ReviewState.GENERATED ? "" : " ok"}` }, stateText(rv.state))),
          h("p", { class: "muted" },
            `${tr.suggestions} ${rv.suggestions.length} · ${tr.actionItems} ${open}`,
            rv.actionItems.some(isOverdue) ? h("span", { class: "badge warn" }, tr.overdue) : null));
      }));
    });
  void load();
  const re = debounce(() => void load(), 300);
  return ctx.stream.subscribe((e) => {
    if (matches(e, REVIEW_EVENTS)) re();
  });
}

// ---- one review

interface Drafts {
  formOpen: boolean;
  notes?: string;
}

function suggestionCard(s: Suggestion, r: BiweeklyReview, ctx: PageContext, reload: () => void, drafts: Drafts): HTMLElement {
  const tr = t();
  const practise = s.resources
    .filter((x) => x.startsWith("scriptScenarios/"))
    .map((x) => tr.scenario[x.slice("scriptScenarios/".length)] ?? x);
  const box = h("article", { class: "card suggestion", "data-suggestion": s.suggestionId },
    h("p", { class: "msg" }, s.text),
    h("p", { class: "muted" }, s.explanation),
    h("dl", { class: "facts" },
      s.evidence.flatMap((e) => [h("dt", {}, e.label || e.key), h("dd", {}, kpi(e.value))]),
      h("dt", {}, tr.expectedImpact), h("dd", {}, money(s.expectedImpact)),
      practise.length ? [h("dt", {}, tr.practise), h("dd", {}, practise.join("、"))] : []));
  if (s.accepted) {
    box.append(h("span", { class: "badge ok" }, tr.acceptedBadge));
  } else if (r.state !== ReviewState.CLOSED) {
    box.append(h("button", { onclick: () => box.append(itemForm(r, ctx, reload, drafts, s)) }, tr.accept));
  }
  return box;
}

function itemForm(r: BiweeklyReview, ctx: PageContext, reload: () => void, drafts: Drafts, from?: Suggestion): HTMLElement {
  const tr = t();
  const desc = h("input", { type: "text", "aria-label": tr.itemDescription, placeholder: tr.itemDescription, maxlength: 200 });
  desc.value = from?.text ?? "";
  const due = h("input", { type: "date", "aria-label": tr.due });
  const inAWeek = new globalThis.Date(Date.now() + 7 * 86_400_000);
  due.value = `${inAWeek.getFullYear()}-${String(inAWeek.getMonth() + 1).padStart(2, "0")}-${String(inAWeek.getDate()).padStart(2, "0")}`;
  const close = () => {
    form.remove();
    drafts.formOpen = false;
    reload();
  };
  const form = h("form", {
    class: "proposal",
    "data-testid": "item-form",
    onsubmit: async (e: Event) => {
      e.preventDefault();
      const [y, m, d] = due.value.split("-").map(Number);
      try {
        await ctx.api.performance.addActionItem({
          review: r.name,
          actionItem: { description: desc.value, dueDate: { year: y, month: m, day: d }, suggestionId: from?.suggestionId ?? "" },
        });
        ctx.toast(tr.itemAdded);
        close();
      } catch (err) {
        ctx.toast(errorText(err));
      }
    },
  }, desc, due,
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, tr.submit),
      h("button", { type: "button", onclick: () => close() }, tr.cancel)));
  drafts.formOpen = true;
  setTimeout(() => desc.focus(), 0);
  return form;
}

function itemRow(a: ActionItem, r: BiweeklyReview, ctx: PageContext, reload: () => void): HTMLElement {
  const tr = t();
  const finish = (state: ActionItemState) => async () => {
    try {
      await ctx.api.performance.updateActionItem({ review: r.name, actionItemId: a.actionItemId, state });
      reload();
    } catch (e) {
      ctx.toast(errorText(e));
    }
  };
  const open = a.state === ActionItemState.OPEN && !a.carriedTo;
  return h("li", { class: "item", "data-item": a.actionItemId },
    h("div", {},
      h("span", { class: a.state === ActionItemState.OPEN ? "" : "muted done" }, a.description),
      " ",
      a.carriedFrom ? h("span", { class: "badge" }, tr.carried) : null,
      isOverdue(a) ? h("span", { class: "badge warn" }, tr.overdue) : null,
      a.state === ActionItemState.DONE ? h("span", { class: "badge ok" }, tr.done) : null),
    h("div", { class: "muted" }, `${tr.due} ${day(a.dueDate)}`,
      a.metric ? ` · ${metricName(a.metric)} ${kpi(a.metricBefore)}${a.metricAfter ? ` → ${kpi(a.metricAfter)}` : ""}` : ""),
    open ? h("div", { class: "actions" },
      h("button", { class: "primary", onclick: finish(ActionItemState.DONE) }, tr.done),
      h("button", { onclick: finish(ActionItemState.CANCELLED) }, tr.cancelItem)) : null);
}

function detailPage(root: HTMLElement, ctx: PageContext, id: string): () => void {
  const tr = t();
  const body = h("div", { "data-testid": "review" });
  root.append(h("p", {}, h("a", { href: "#/reviews" }, `← ${tr.reviews}`)), body);
  const drafts: Drafts = { formOpen: false };
  const draw = (r: BiweeklyReview): Node => {
    const supervisorUp = ctx.session.role !== "rep";
    const p = r.pipeline;
    const reasons = (list: { reason: string; count: bigint }[]) =>
      list.length ? h("ul", {}, list.map((x) => h("li", {}, `${x.reason} × ${x.count}`))) : h("p", { class: "muted" }, tr.empty);
    const notes = h("textarea", { rows: 3, "aria-label": tr.notes, placeholder: tr.notes, maxlength: 2000 });
    notes.value = drafts.notes ?? r.supervisorNotes;
    notes.addEventListener("input", () => (drafts.notes = notes.value));
    const saveNotes = h("button", {
      class: "primary",
      onclick: async () => {
        try {
          await ctx.api.performance.updateReview({
            review: { name: r.name, etag: r.etag, supervisorNotes: notes.value, state: ReviewState.DISCUSSED },
            updateMask: { paths: r.state === ReviewState.GENERATED ? ["supervisor_notes", "state"] : ["supervisor_notes"] },
          });
          drafts.notes = undefined;
          ctx.toast(tr.saved);
          void load();
        } catch (e) {
          ctx.toast(errorText(e));
        }
      },
    }, tr.markDiscussed);
    const items = h("ul", { class: "items" }, r.actionItems.filter((a) => !a.carriedTo).map((a) => itemRow(a, r, ctx, () => void load())));
    const addBox = h("div", {});
    return h("div", {},
      h("h1", {}, ctx.names(r.member), h("span", { class: "sub" }, ` · ${r.cycle} ${day(r.startDate)} – ${day(r.endDate)}`)),
      h("p", {}, h("span", { class: "badge" }, stateText(r.state)),
        r.targetGap ? h("span", { class: "muted" }, ` ${tr.gap} ${money(r.targetGap)}`) : null),
      r.scorecard ? h("div", { class: "stats", "data-testid": "review-scorecard" },
        stat(tr.scorecard, `${bp(r.scorecardScoreBasisPoints)}${r.scorecardRating ? ` · ${r.scorecardRating}` : ""}`),
        stat(tr.sinceLastReview, `${r.scorecardChangeBasisPoints >= 0 ? "+" : ""}${bp(r.scorecardChangeBasisPoints)}`)) : null,
      r.openWarnings.length ? section(tr.openWarnings, h("ul", {}, r.openWarnings.map((w) =>
        h("li", {}, h("a", { href: "#/warnings" }, w.text || w.warning))))) : null,
      r.marketInsights.length ? section(tr.marketInsights, h("ul", { "data-testid": "review-insights" },
        r.marketInsights.map((i) => h("li", {}, h("strong", {}, i.title),
          i.summary ? h("span", { class: "muted" }, ` ${i.summary}`) : null)))) : null,
      section(tr.changes, h("table", { class: "changes" },
        h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, tr.previousCycle), h("th", {}, tr.cycle), h("th", {}, tr.teamMedian))),
        h("tbody", {}, r.changes.map((c) => h("tr", {},
          h("th", {}, metricName(c.metric)),
          h("td", {}, kpi(c.previous)),
          h("td", { class: c.changeBasisPoints > 0n ? "up" : c.changeBasisPoints < 0n ? "down" : "" }, kpi(c.current)),
          h("td", {}, kpi(c.teamMedian))))))),
      section(tr.pipelineMoves,
        h("div", { class: "stats" },
          stat(tr.createdDeals, `${p?.createdCount ?? 0} · ${money(p?.createdAmount)}`),
          stat(tr.wonDeals, `${p?.wonCount ?? 0} · ${money(p?.wonAmount)}`),
          stat(tr.lostDeals, String(p?.lostCount ?? 0))),
        h("h3", {}, tr.lossReasons), reasons(r.lossReasons),
        h("h3", {}, tr.competitors), reasons(r.lostToCompetitors)),
      r.strengths.length ? section(tr.strengths, h("ul", {}, r.strengths.map((f) => h("li", {}, f.text)))) : null,
      r.gaps.length ? section(tr.gaps, h("ul", {}, r.gaps.map((f) => h("li", {}, f.text)))) : null,
      section(tr.suggestions, r.suggestions.length
        ? h("div", { "data-testid": "suggestions" }, r.suggestions.map((s) => suggestionCard(s, r, ctx, () => void load(), drafts)))
        : h("p", { class: "muted" }, tr.noSuggestions)),
      section(tr.actionItems,
        r.actionItems.length ? items : h("p", { class: "muted" }, tr.noActionItems),
        h("div", {}, r.state !== ReviewState.CLOSED
          ? h("button", { onclick: () => addBox.replaceChildren(itemForm(r, ctx, () => void load(), drafts)) }, tr.addItem)
          : null),
        addBox),
      r.outcomes.length ? section(tr.outcomes, h("ul", {}, r.outcomes.map((o) => h("li", {},
        `${o.description}: ${metricName(o.metric)} ${tr.before} ${kpi(o.metricBefore)} → ${tr.after} ${kpi(o.metricAfter)}`)))) : null,
      supervisorUp ? section(tr.notes, notes, h("div", { class: "actions" }, saveNotes)) : (r.supervisorNotes ? section(tr.notes, h("p", {}, r.supervisorNotes)) : null));
  };
  const load = () =>
    fillBox(body, async () => {
      const r = await ctx.api.performance.getReview({ name: `reviews/${id}` });
      return draw(r.review!);
    });
  void load();
  const re = debounce(() => {
    if (!drafts.formOpen) void load();
  }, 300);
  return ctx.stream.subscribe((e) => {
    if (matches(e, REVIEW_EVENTS)) re();
  });
}

export const reviewsPage: Page = (root, ctx) => {
  const id = ctx.params[0];
  return id ? detailPage(root, ctx, decodeURIComponent(id)) : listPage(root, ctx);
};
