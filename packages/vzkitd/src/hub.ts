/**
 * Events for `GET /v1/events` (server-sent events): every event on the bus of any
 * runtime the daemon composes — the core's `ve:*`, the plugins' own (`ubc:failcnt`,
 * `quota:limit`) and vzkitd's (`vzkitd:reboot` ...) — numbered, kept for a while so
 * that a client reconnecting with Last-Event-ID misses nothing recent.
 */
import type { EventBus } from '@vzkit/core';

export interface HubEvent {
  id: number;
  type: string;
  /** ISO time the daemon saw it. */
  time: string;
  ctid?: number;
  /** The event's arguments after the CTID, as emitted. */
  args: unknown[];
}

export type Listener = (e: HubEvent) => void;

const KEPT = 1000;

export class EventHub {
  #next = 1;
  readonly #recent: HubEvent[] = [];
  readonly #listeners = new Set<Listener>();

  /**
   * Forwards every event of `bus` here as well. eventemitter3 has no catch-all
   * listener, and plugins declare their events in types only, so `emit` itself is
   * wrapped: whatever a plugin emits reaches the stream without vzkitd knowing its name.
   */
  tap(bus: EventBus): void {
    const emit = bus.emit.bind(bus) as (event: string, ...args: unknown[]) => boolean;
    (bus as unknown as { emit: typeof emit }).emit = (event, ...args) => {
      this.publish(event, args);
      return emit(event, ...args);
    };
  }

  publish(type: string, args: unknown[]): void {
    // The first argument of an event is its CT, or undefined for a host-wide one (`warning`).
    const [first, ...rest] = args;
    const ctSlot = typeof first === 'number' || (first === undefined && args.length > 1);
    const e: HubEvent = { id: this.#next++, type, time: new Date().toISOString(), ...(typeof first === 'number' ? { ctid: first } : {}), args: ctSlot ? rest : args };
    this.#recent.push(e);
    if (this.#recent.length > KEPT) this.#recent.shift();
    for (const l of this.#listeners) l(e);
  }

  /** Events after `lastId` still kept (a reconnecting client's Last-Event-ID). */
  since(lastId: number): HubEvent[] {
    return this.#recent.filter((e) => e.id > lastId);
  }

  subscribe(l: Listener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  get subscribers(): number {
    return this.#listeners.size;
  }
}

/** A filter from `?types=ve:*,ubc:failcnt&ctid=101`. */
export function eventFilter(types: string | null, ctid: string | null): (e: HubEvent) => boolean {
  const patterns = types ? types.split(',').map((t) => t.trim()).filter(Boolean) : [];
  const ctids = ctid ? new Set(ctid.split(',').map(Number)) : undefined;
  return (e) => {
    if (ctids && (e.ctid === undefined || !ctids.has(e.ctid))) return false;
    if (patterns.length === 0) return true;
    return patterns.some((p) => (p.endsWith('*') ? e.type.startsWith(p.slice(0, -1)) : e.type === p));
  };
}

/** One event in the text/event-stream format. */
export function sseText(e: HubEvent): string {
  const data = JSON.stringify({ type: e.type, time: e.time, ...(e.ctid !== undefined ? { ctid: e.ctid } : {}), args: e.args });
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${data}\n\n`;
}
