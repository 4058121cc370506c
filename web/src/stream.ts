// The live stream (`GET /v1/stream`, Server-Sent Events filtered by the
// caller's scope): read with fetch so the token travels in the Authorization
// header, resumed from the last event id after a drop, with a growing pause
// between reconnects. Subscribers get each event's CloudEvent type and JSON.

export interface LiveEvent {
  id: string;
  type: string; // e.g. "salesops.customers.v1.OpportunityStageChanged"
  data: Record<string, unknown>;
}

type Listener = (e: LiveEvent) => void;
type StateListener = (connected: boolean) => void;

export class LiveStream {
  private listeners = new Set<Listener>();
  private stateListeners = new Set<StateListener>();
  private lastId = "";
  private abort?: AbortController;
  private stopped = false;
  private connected = false;
  private retryMs = 1000;

  constructor(
    private token: string,
    private onUnauthenticated: () => void,
  ) {}

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  onState(l: StateListener): () => void {
    this.stateListeners.add(l);
    l(this.connected);
    return () => this.stateListeners.delete(l);
  }
  isConnected(): boolean {
    return this.connected;
  }

  start(): void {
    this.stopped = false;
    void this.loop();
  }
  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private setConnected(c: boolean): void {
    if (c === this.connected) return;
    this.connected = c;
    for (const l of this.stateListeners) l(c);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.once();
      } catch {
        // dropped: reconnect below
      }
      this.setConnected(false);
      if (this.stopped) return;
      await new Promise((r) => setTimeout(r, this.retryMs));
      this.retryMs = Math.min(this.retryMs * 2, 30_000);
    }
  }

  private async once(): Promise<void> {
    this.abort = new AbortController();
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: "text/event-stream",
    };
    if (this.lastId) headers["last-event-id"] = this.lastId;
    const resp = await fetch("/v1/stream", { headers, signal: this.abort.signal });
    if (resp.status === 401) {
      this.stopped = true;
      this.onUnauthenticated();
      return;
    }
    if (!resp.ok || !resp.body) throw new Error(`stream: HTTP ${resp.status}`);
    this.setConnected(true);
    this.retryMs = 1000;
    const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let cut: number;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        this.frame(buf.slice(0, cut));
        buf = buf.slice(cut + 2);
      }
    }
  }

  // One SSE frame (https://html.spec.whatwg.org/multipage/server-sent-events.html).
  private frame(text: string): void {
    let id: string | undefined;
    let type = "message";
    const data: string[] = [];
    for (const line of text.split("\n")) {
      if (line.startsWith(":")) continue; // heartbeat
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "id") id = value;
      else if (field === "event") type = value;
      else if (field === "data") data.push(value);
      else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
    }
    if (id !== undefined) this.lastId = id;
    if (type === "error") {
      this.abort?.abort();
      return;
    }
    if (data.length === 0) return;
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(data.join("\n")) as Record<string, unknown>;
    } catch {
      return; // not ours to show
    }
    const ev: LiveEvent = { id: id ?? "", type, data: parsed };
    for (const l of this.listeners) l(ev);
  }
}
