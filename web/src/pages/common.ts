// Pieces the pages share: a loading/error box, the caller's scope, stat tiles.
import { errorText } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import type { PageContext } from "../page.js";

// Fills `box` with what `load` draws; a failure shows the service's message
// and a retry button. Later loads keep the old content until the new arrives.
export async function fillBox(box: HTMLElement, load: () => Promise<Node>): Promise<void> {
  if (!box.hasChildNodes()) box.replaceChildren(h("p", { class: "muted" }, t().loading));
  try {
    const node = await load();
    box.replaceChildren(node);
    box.dataset.loaded = String(Date.now());
  } catch (e) {
    box.replaceChildren(
      h("div", { class: "error", role: "alert" }, errorText(e), " ",
        h("button", { class: "link", onclick: () => void fillBox(box, load) }, t().retry)),
    );
  }
}

// The subject the caller's numbers are about: a rep's own, else their unit.
export function subjectOf(ctx: PageContext): string {
  if (ctx.session.role === "rep" || !ctx.session.orgUnit) return ctx.session.member;
  return ctx.session.orgUnit;
}

export function isRep(ctx: PageContext): boolean {
  return ctx.session.role === "rep";
}

export function stat(label: string, value: string, cls = ""): HTMLElement {
  return h("div", { class: `stat ${cls}` }, h("div", { class: "stat-label" }, label), h("div", { class: "stat-value" }, value));
}

export function section(title: string, ...body: Node[]): HTMLElement {
  return h("section", { class: "card" }, h("h2", {}, title), ...body);
}
