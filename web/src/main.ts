// The shell: sign-in, the header (live indicator, language switch), the tab bar
// a thumb reaches on a phone, and a hash router that draws one page at a time.
import "./style.css";
import { clients } from "./api.js";
import { h } from "./dom.js";
import { shortName } from "./format.js";
import { currentLang, setLang, t } from "./i18n.js";
import type { Page, PageContext } from "./page.js";
import { customersPage } from "./pages/customers.js";
import { forecastPage } from "./pages/forecast.js";
import { pipelinePage } from "./pages/pipeline.js";
import { reviewsPage } from "./pages/reviews.js";
import { teamPage } from "./pages/team.js";
import { todayPage } from "./pages/today.js";
import { warningsPage } from "./pages/warnings.js";
import { currentQuarter, loadSession, sessionFromToken, signOut } from "./session.js";
import { LiveStream } from "./stream.js";

const pages: Record<string, { page: Page; label: () => string; icon: string }> = {
  today: { page: todayPage, label: () => t().navToday, icon: "◎" },
  team: { page: teamPage, label: () => t().navTeam, icon: "☰" },
  warnings: { page: warningsPage, label: () => t().navWarnings, icon: "⚠" },
  pipeline: { page: pipelinePage, label: () => t().navPipeline, icon: "▥" },
  customers: { page: customersPage, label: () => t().navCustomers, icon: "☺" },
  reviews: { page: reviewsPage, label: () => t().navReviews, icon: "✎" },
  forecast: { page: forecastPage, label: () => t().navForecast, icon: "↗" },
};

const app = document.getElementById("app")!;

function signInPage(bad = false): void {
  const tr = t();
  document.documentElement.lang = currentLang();
  const input = h("textarea", { rows: 4, "aria-label": "token", placeholder: "eyJ…" });
  app.replaceChildren(
    h("main", { class: "signin" },
      h("h1", {}, tr.app),
      h("h2", {}, tr.signInTitle),
      bad ? h("p", { class: "error", role: "alert" }, tr.signInBad) : null,
      h("p", {}, tr.signInBody),
      input,
      h("button", {
        class: "primary",
        onclick: () => {
          const token = input.value.trim();
          if (!sessionFromToken(token)) return signInPage(true);
          location.hash = `#/signin?token=${encodeURIComponent(token)}`;
          location.reload();
        },
      }, tr.signInButton),
      h("button", { class: "link", onclick: () => { setLang(currentLang() === "en" ? "zh-CN" : "en"); signInPage(bad); } }, tr.lang)));
}

function start(): void {
  const session = loadSession();
  if (!session) return signInPage(location.hash.startsWith("#/signin"));
  const expired = () => {
    signOut();
    signInPage(true);
  };
  const api = clients(session.token, expired);
  const stream = new LiveStream(session.token, expired);
  stream.start();

  const names = new Map<string, string>();
  const loadNames = async () => {
    try {
      let pageToken = "";
      for (let i = 0; i < 10; i++) {
        const r = await api.org.listMembers({ orgUnit: session.role === "admin" ? "" : session.orgUnit, pageSize: 500, pageToken });
        for (const m of r.members) names.set(m.name, m.displayName);
        pageToken = r.nextPageToken;
        if (!pageToken) break;
      }
      const units = await api.org.listOrgUnits({ pageSize: 500 });
      for (const u of units.orgUnits) names.set(u.name, u.displayName);
    } catch {
      // names are a nicety: ids are shown instead
    }
  };

  const toastBox = h("div", { class: "toast", role: "status", "aria-live": "polite" });
  const toast = (text: string) => {
    toastBox.textContent = text;
    toastBox.classList.add("show");
    setTimeout(() => toastBox.classList.remove("show"), 2500);
  };
  const liveDot = h("span", { class: "live", "data-testid": "live" });
  stream.onState((c) => {
    liveDot.textContent = c ? `● ${t().live}` : `○ ${t().offline}`;
    liveDot.classList.toggle("on", c);
    liveDot.dataset.connected = String(c);
  });
  const main = h("main", { id: "page" });
  const nav = h("nav", { class: "tabs", "aria-label": "pages" });
  const header = h("header", { class: "top" });
  app.replaceChildren(header, main, nav, toastBox);

  let release: (() => void) | undefined;
  const route = () => {
    const tr = t();
    document.documentElement.lang = currentLang();
    document.title = tr.app;
    const [name, ...params] = location.hash.replace(/^#\/?/, "").split("/");
    const entry = pages[name] ?? pages.today;
    const current = pages[name] ? name : "today";
    header.replaceChildren(
      h("span", { class: "brand" }, tr.app),
      liveDot,
      h("button", { class: "link", "data-testid": "lang", onclick: () => { setLang(currentLang() === "en" ? "zh-CN" : "en"); route(); } }, tr.lang),
      h("button", { class: "link", onclick: () => { stream.stop(); signOut(); signInPage(); } }, tr.signOut));
    liveDot.textContent = stream.isConnected() ? `● ${tr.live}` : `○ ${tr.offline}`;
    nav.replaceChildren(...Object.entries(pages).map(([key, p]) =>
      h("a", { href: `#/${key}`, class: key === current ? "active" : "", "aria-current": key === current ? "page" : undefined },
        h("span", { class: "icon", "aria-hidden": "true" }, p.icon), h("span", {}, p.label()))));
    release?.();
    main.replaceChildren();
    main.dataset.page = current;
    const ctx: PageContext = {
      api, session, stream, period: currentQuarter(), params, toast,
      names: (r) => names.get(r) || shortName(r),
    };
    release = entry.page(main, ctx);
  };
  window.addEventListener("hashchange", route);
  void loadNames().then(route);
}

start();
