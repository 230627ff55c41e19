/**
 * Progress of a run on the terminal. On a TTY: a live list of steps redrawn in place
 * (plain ANSI). Elsewhere (pipes, CI logs): one timestamped line per event, e.g.
 * `12:00:01 step greet completed (3 ms)`. Notes (approval hints…) print above the view.
 */
import type { RunEvent } from '../core/events.ts';
import type { RunState, StepState } from '../core/state.ts';
import { errorText, progressMessage } from './event-text.ts';
import {
  colourStatus,
  formatDuration,
  formatTime,
  type Style,
  statusSymbol,
  truncate,
  visibleLength,
} from './format.ts';
import { treeOrder } from './step-order.ts';

export interface ProgressReporter {
  event(event: RunEvent, state: RunState): void;
  note(text: string): void;
  /** Draws the final state and stops redrawing. */
  finish(): void;
}

type Output = NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };

export function createProgress(stream: Output, style: Style, live: boolean): ProgressReporter {
  return live ? new LiveProgress(stream, style) : new LineProgress(stream, style);
}

class LineProgress implements ProgressReporter {
  readonly #stream: Output;
  readonly #style: Style;
  constructor(stream: Output, style: Style) {
    this.#stream = stream;
    this.#style = style;
  }
  event(event: RunEvent, state: RunState): void {
    const step = 'path' in event ? state.steps.get(event.path) : undefined;
    const message = progressMessage(event, step);
    if (message !== undefined) this.#stream.write(`${this.#style.dim(formatTime(event.at))} ${message}\n`);
  }
  note(text: string): void {
    this.#stream.write(`${text}\n`);
  }
  finish(): void {}
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

class LiveProgress implements ProgressReporter {
  readonly #stream: Output;
  readonly #style: Style;
  #state?: RunState;
  #drawn = 0;
  #frame = 0;
  #timer?: NodeJS.Timeout;
  #finished = false;
  readonly #restoreCursor = () => this.#stream.write(SHOW_CURSOR);

  constructor(stream: Output, style: Style) {
    this.#stream = stream;
    this.#style = style;
    this.#stream.write(HIDE_CURSOR);
    process.once('exit', this.#restoreCursor);
    this.#timer = setInterval(() => {
      this.#frame++;
      this.#draw();
    }, 100);
    this.#timer.unref();
  }

  event(_event: RunEvent, state: RunState): void {
    this.#state = state;
    if (!this.#finished) this.#draw();
  }

  note(text: string): void {
    if (this.#finished) {
      this.#stream.write(`${text}\n`);
      return;
    }
    this.#clear();
    this.#stream.write(`${text}\n`);
    this.#drawn = 0;
    this.#draw();
  }

  finish(): void {
    if (this.#finished) return;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#draw();
    this.#finished = true;
    this.#stream.write(SHOW_CURSOR);
    process.removeListener('exit', this.#restoreCursor);
  }

  #clear(): void {
    if (this.#drawn > 0) this.#stream.write(`\x1b[${this.#drawn}F\x1b[0J`);
  }

  #draw(): void {
    const state = this.#state;
    if (!state) return;
    const width = Math.max(20, (this.#stream.columns || 100) - 1);
    const maxLines = Math.max(3, (this.#stream.rows || 40) - 2);
    let lines = this.#lines(state, Date.now());
    if (lines.length > maxLines) {
      const hidden = lines.length - (maxLines - 1);
      lines = [lines[0], this.#style.dim(`  … ${hidden} earlier steps`), ...lines.slice(hidden + 1)];
    }
    const text = lines.map((line) => fit(line, width)).join('\n');
    this.#clear();
    this.#stream.write(`${text}\n`);
    this.#drawn = lines.length;
  }

  #lines(state: RunState, now: number): string[] {
    const status =
      state.outcome ?? (state.paused ? 'paused' : state.cancelRequested ? 'cancelling' : 'running');
    const elapsed = formatDuration((state.finishedAt ?? now) - state.createdAt);
    const header = `${this.#style.bold(`${state.workflow.name}@${state.workflow.version}`)} ${this.#style.dim(state.id)}  ${colourStatus(status, status, this.#style)}  ${elapsed}`;
    const inserted = [...state.steps.values()];
    const steps = treeOrder(inserted, (step) => inserted.indexOf(step));
    const pathWidth = Math.min(
      48,
      Math.max(4, ...steps.map((step) => step.path.length + indent(step).length)),
    );
    return [header, ...steps.map((step) => this.#stepLine(step, now, pathWidth))];
  }

  #stepLine(step: StepState, now: number, pathWidth: number): string {
    const active = step.status === 'running' || (step.status === 'scheduled' && (step.runAt ?? 0) <= now);
    const symbol = active ? SPINNER[this.#frame % SPINNER.length] : statusSymbol(step.status);
    const name = `${indent(step)}${step.path}`.padEnd(pathWidth);
    const attempt = step.attempt > 1 ? `#${step.attempt}` : '';
    const duration = formatDuration((step.finishedAt ?? now) - step.startedAt);
    return `  ${colourStatus(step.status, symbol, this.#style)} ${name}  ${attempt.padEnd(3)} ${duration.padStart(8)}  ${this.#style.dim(stepDetail(step, now))}`.trimEnd();
  }
}

function indent(step: StepState): string {
  return '  '.repeat(step.path.split('/').length - 1);
}

/** What a step is doing or why it stopped, in a few words. */
export function stepDetail(step: StepState, now: number): string {
  switch (step.status) {
    case 'waiting':
      if (step.approval) return 'waiting for approval';
      if (step.childRunId) return `waiting for child run ${step.childRunId}`;
      if (step.fireAt !== undefined)
        return `until ${formatTime(step.fireAt)} (${formatDuration(step.fireAt - now)} left)`;
      return 'waiting';
    case 'scheduled':
      if (step.runAt !== undefined && step.runAt > now) {
        return `${step.attempt > 1 ? 'retry' : 'starts'} in ${formatDuration(step.runAt - now)}`;
      }
      return '';
    case 'failed':
    case 'cancelled':
      return truncate(errorText(step.error), 80);
    case 'skipped':
      return step.skipReason ?? '';
    default:
      return '';
  }
}

/** Cuts a line to the terminal width so it never wraps (wrapping would break the redraw). */
function fit(line: string, width: number): string {
  if (visibleLength(line) <= width) return line;
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\x1b') {
      const end = line.indexOf('m', i);
      if (end > 0) {
        out += line.slice(i, end + 1);
        i = end;
        continue;
      }
    }
    if (visible >= width - 1) break;
    out += line[i];
    visible++;
  }
  return `${out}\x1b[0m…`;
}
