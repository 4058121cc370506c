// 预警: the open warnings the caller is responsible for (a supervisor: their
// team's), newest first, each with its facts; acknowledge one with a note, or
// propose a strategy adjustment about it (the warning service's proposal flow).
// Raised, acknowledged and resolved warnings appear and go without a reload.
import { debounce, h } from "../dom.js";
import { money, bp, when } from "../format.js";
import { currentLang, t } from "../i18n.js";
import { errorText } from "../api.js";
import { Code, ConnectError } from "@connectrpc/connect";
import { matches, type Page, type PageContext } from "../page.js";
import { Severity, WarningState, type Warning, type Fact } from "../gen/salesops/warning/v1/warning_resources_pb.js";
import { fillBox } from "./common.js";

function factText(f: Fact): string {
  switch (f.value.case) {
    case "money": return money(f.value.value);
    case "basisPoints": return bp(Number(f.value.value));
    case "count": return String(f.value.value);
    case "text": return f.value.value;
    case "resource": return f.value.value;
    case "time": return when(f.value.value);
    case "date": return `${f.value.value.year}-${f.value.value.month}-${f.value.value.day}`;
    default: return "";
  }
}

function severityText(s: Severity): string {
  const tr = t();
  return s === Severity.CRITICAL ? tr.severityCritical : s === Severity.WARNING ? tr.severityWarning : tr.severityInfo;
}

// What the user is typing survives the list redrawing under them (live events).
interface Drafts {
  notes: Map<string, string>;
  proposalOpen: boolean;
}

function card(w: Warning, ctx: PageContext, reload: () => void, drafts: Drafts): HTMLElement {
  const tr = t();
  const zh = currentLang() === "zh-CN";
  const actions = h("div", { class: "actions" });
  const box = h("article", { class: `card warning sev-${Severity[w.severity].toLowerCase()}`, "data-warning": w.name },
    h("header", {},
      h("span", { class: "badge" }, severityText(w.severity)),
      h("span", { class: "muted" }, when(w.raiseTime)),
      w.state === WarningState.ACKNOWLEDGED ? h("span", { class: "badge ok" }, tr.acknowledged) : null),
    h("p", { class: "msg" }, (zh ? w.message?.zh : w.message?.en) || w.message?.zh || w.name),
    h("dl", { class: "facts" },
      w.facts.flatMap((f) => [h("dt", {}, (zh ? f.label?.zh : f.label?.en) || f.key), h("dd", {}, factText(f))])),
    actions);

  const note = h("input", { type: "text", placeholder: tr.ackNote, "aria-label": tr.ackNote, maxlength: 200 });
  note.value = drafts.notes.get(w.name) ?? "";
  note.addEventListener("input", () => drafts.notes.set(w.name, note.value));
  const ack = h("button", {
    class: "primary",
    onclick: async () => {
      ack.setAttribute("disabled", "");
      try {
        try {
          await ctx.api.warning.acknowledgeWarning({ name: w.name, etag: w.etag, note: note.value });
        } catch (e) {
          // The engine re-evaluates a live warning (a new etag) while it is on
          // screen; acknowledging does not depend on its figures: once more
          // with the current etag.
          if (!(e instanceof ConnectError && (e.code === Code.Aborted || e.code === Code.FailedPrecondition))) throw e;
          const cur = await ctx.api.warning.getWarning({ name: w.name });
          await ctx.api.warning.acknowledgeWarning({ name: w.name, etag: cur.warning?.etag ?? "", note: note.value });
        }
        drafts.notes.delete(w.name);
        ctx.toast(tr.acknowledged);
        reload();
      } catch (e) {
        ctx.toast(errorText(e));
        ack.removeAttribute("disabled");
      }
    },
  }, tr.acknowledge);
  const propose = h("button", { onclick: () => openProposal() }, tr.propose);
  if (w.state === WarningState.OPEN) actions.append(note, ack);
  if (ctx.session.role !== "rep") actions.append(propose);

  function openProposal() {
    const title = h("input", { type: "text", "aria-label": tr.proposalTitle, placeholder: tr.proposalTitle, maxlength: 120 });
    const body = h("textarea", { "aria-label": tr.proposalBody, placeholder: tr.proposalBody, rows: 3 });
    const form = h("form", {
      class: "proposal",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          await ctx.api.warning.createProposal({
            proposal: { title: title.value, description: body.value, warnings: [w.name], orgUnit: w.orgUnit },
          });
          ctx.toast(tr.proposalSent);
          close();
        } catch (err) {
          ctx.toast(errorText(err));
        }
      },
    }, title, body,
      h("div", { class: "actions" },
        h("button", { type: "submit", class: "primary" }, tr.submit),
        h("button", { type: "button", onclick: () => close() }, tr.cancel)));
    // While a proposal is being written the list does not redraw under it.
    const close = () => {
      form.remove();
      drafts.proposalOpen = false;
      reload();
    };
    drafts.proposalOpen = true;
    box.append(form);
    title.focus();
  }
  return box;
}

export const warningsPage: Page = (root, ctx) => {
  const tr = t();
  const list = h("div", { "data-testid": "warnings" });
  const drafts: Drafts = { notes: new Map(), proposalOpen: false };
  root.append(h("h1", {}, tr.warnings), list);
  const load = () =>
    fillBox(list, async () => {
      const r = await ctx.api.warning.listWarnings({
        states: [WarningState.OPEN, WarningState.ACKNOWLEDGED],
        orgUnit: ctx.session.role === "admin" ? "" : ctx.session.orgUnit,
        rep: ctx.session.role === "rep" ? ctx.session.member : "",
        pageSize: 100,
      });
      if (r.warnings.length === 0) return h("p", { class: "muted" }, tr.noWarnings);
      const open = r.warnings.filter((w) => w.state === WarningState.OPEN);
      const seen = r.warnings.filter((w) => w.state !== WarningState.OPEN);
      return h("div", {}, [...open, ...seen].map((w) => card(w, ctx, re, drafts)));
    });
  void load();
  const re = debounce(() => {
    if (!drafts.proposalOpen) void load();
  }, 300);
  const unsub = ctx.stream.subscribe((e) => {
    if (matches(e, ["WarningRaised", "WarningAcknowledged", "WarningResolved"])) re();
  });
  return unsub;
};
