// Numbers as a sales team reads them: money in yuan with thousands separators
// (万 in Chinese for large amounts), basis points as percentages.
import type { Money } from "./gen/salesops/common/v1/common_pb.js";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { currentLang } from "./i18n.js";

export function yuan(m: Money | undefined): number {
  if (!m) return 0;
  return Number(m.amountMinor) / 100;
}

export function money(m: Money | undefined): string {
  const v = yuan(m);
  const code = m?.currencyCode || "CNY";
  const sign = code === "CNY" ? "¥" : `${code} `;
  if (currentLang() === "zh-CN" && Math.abs(v) >= 10_000) {
    return `${sign}${(v / 10_000).toLocaleString("zh-CN", { maximumFractionDigits: 1 })}万`;
  }
  return `${sign}${v.toLocaleString(currentLang(), { maximumFractionDigits: 0 })}`;
}

export function bp(basisPoints: number | undefined): string {
  return `${((basisPoints ?? 0) / 100).toLocaleString(currentLang(), { maximumFractionDigits: 1 })}%`;
}

export function when(ts: Timestamp | undefined): string {
  if (!ts) return "—";
  const d = new Date(Number(ts.seconds) * 1000);
  return d.toLocaleString(currentLang(), {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

// "members/demo-rep-east-1-7" → "demo-rep-east-1-7" when no display name is known.
export function shortName(resource: string): string {
  return resource.slice(resource.indexOf("/") + 1);
}
