// Who is signed in: the bearer token (from the sign-in link `#/signin?token=…`,
// kept in sessionStorage so it never lands in a bookmark or the server's logs)
// and the claims the pages need to pick their scope. The gateway and the
// services check the token; the claims here only choose what to ask for.

export interface Session {
  token: string;
  member: string; // "members/<sub>"
  role: string; // rep | supervisor | director | admin | finance
  orgUnit: string; // "orgUnits/<id>" or ""
  expires: Date;
}

const KEY = "salesops.token";

function decodeClaims(token: string): Record<string, unknown> | undefined {
  const part = token.split(".")[1];
  if (!part) return undefined;
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const json = new TextDecoder().decode(
      Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0)),
    );
    return JSON.parse(json) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export function sessionFromToken(token: string): Session | undefined {
  const c = decodeClaims(token);
  if (!c || typeof c.sub !== "string" || typeof c.role !== "string") return undefined;
  const exp = typeof c.exp === "number" ? new Date(c.exp * 1000) : new Date(0);
  if (exp.getTime() <= Date.now()) return undefined;
  return {
    token,
    member: `members/${c.sub}`,
    role: c.role,
    orgUnit: typeof c.org_unit === "string" && c.org_unit ? `orgUnits/${c.org_unit}` : "",
    expires: exp,
  };
}

// Takes a token from the sign-in link (and removes it from the address bar),
// else the one of this tab.
export function loadSession(): Session | undefined {
  const m = location.hash.match(/^#\/signin\?token=([^&]+)/);
  if (m) {
    const token = decodeURIComponent(m[1]);
    sessionStorage.setItem(KEY, token);
    history.replaceState(null, "", `${location.pathname}#/today`);
  }
  const token = sessionStorage.getItem(KEY);
  if (!token) return undefined;
  const s = sessionFromToken(token);
  if (!s) sessionStorage.removeItem(KEY);
  return s;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

// The fiscal quarter containing today (calendar fiscal year, China time),
// as the services name it: "fiscalPeriods/FY2026-Q4".
export function currentQuarter(now = new Date()): string {
  const china = new Date(now.getTime() + 8 * 3600 * 1000);
  const q = Math.floor(china.getUTCMonth() / 3) + 1;
  return `fiscalPeriods/FY${china.getUTCFullYear()}-Q${q}`;
}
