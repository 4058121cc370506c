// What every page gets, and how it says it is done.
import type { Clients } from "./api.js";
import type { Session } from "./session.js";
import type { LiveStream, LiveEvent } from "./stream.js";

export interface PageContext {
  api: Clients;
  session: Session;
  stream: LiveStream;
  period: string; // "fiscalPeriods/FY2026-Q4"
  params: string[]; // route parameters after the page name
  names: (resource: string) => string; // display name of a member when known
  toast: (text: string) => void;
}

// A page draws into `root`; the returned function releases what it holds
// (stream subscriptions, charts, timers).
export type Page = (root: HTMLElement, ctx: PageContext) => () => void;

// True for an event a page showing `prefixes` should reload on.
export function matches(e: LiveEvent, types: string[]): boolean {
  return types.some((t) => e.type.endsWith(t));
}
