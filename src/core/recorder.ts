/**
 * Collects the events of one pure transition (signals.ts, approval-signals.ts): each is
 * applied to the state as it is emitted, then `decide` appends what follows from them.
 */
import type { CompiledWorkflow } from './compiled.ts';
import { decide } from './decide.ts';
import type { RunEvent, RunEventBody } from './events.ts';
import { evolve, type RunState } from './state.ts';

export class Recorder {
  readonly events: RunEvent[] = [];
  readonly state: RunState;
  readonly now: number;
  constructor(state: RunState, now: number) {
    this.state = state;
    this.now = now;
  }
  emit(body: RunEventBody): void {
    const event = { ...body, seq: this.state.seq + 1, at: this.now } as RunEvent;
    evolve(this.state, event);
    this.events.push(event);
  }
  thenDecide(wf: CompiledWorkflow): RunEvent[] {
    this.events.push(...decide(wf, this.state, this.now));
    return this.events;
  }
}
