import { SCRIPT_FILENAME, WRAPPER_LINES_BEFORE } from './prelude.ts';

/** A position in the user's code, 1-based, as the user wrote it (wrapper lines removed). */
export interface SourcePosition {
  line: number;
  column?: number;
}

// QuickJS stack frames look like "    at name (script:3:7)", "    at script:3:7" (syntax errors)
// or "    at exec (native)".
const FRAME_POSITION = new RegExp(`(^|[\\s(])${SCRIPT_FILENAME}:(\\d+)(?::(\\d+))?`);

/** QuickJS counts lines by "\n" only, so the user's line count must too. */
export function countLines(code: string): number {
  return code.split('\n').length;
}

function toUserPosition(frame: string): SourcePosition | undefined {
  const match = FRAME_POSITION.exec(frame);
  if (!match) return undefined;
  const line = Number(match[2]) - WRAPPER_LINES_BEFORE;
  return match[3] === undefined ? { line } : { line, column: Number(match[3]) };
}

/** The innermost frame that lies in the user's code (frames in the wrapper or prelude are skipped). */
export function userPositionFromStack(stack: string, code: string): SourcePosition | undefined {
  const lineCount = countLines(code);
  for (const frame of stack.split('\n')) {
    const position = toUserPosition(frame);
    if (position && position.line >= 1 && position.line <= lineCount) return position;
  }
  return undefined;
}

/**
 * Where a syntax error is, and its message. The parser notices some errors (an unclosed brace,
 * say) only at the wrapper's closing line; those are reported at the end of the user's last line
 * with a message that does not mention the wrapper's tokens.
 */
export function locateSyntaxError(
  stack: string,
  message: string,
  code: string,
): { message: string } & Partial<SourcePosition> {
  const position = toUserPosition(stack.split('\n')[0] ?? '');
  if (!position) return { message };
  const lines = code.split('\n');
  if (position.line < 1) return { message, line: 1, column: 1 };
  if (position.line > lines.length) {
    return {
      message: `unbalanced brackets: the script ends inside an open (, [ or {, or closes one it never opened (${message})`,
      line: lines.length,
      column: lines[lines.length - 1].length + 1,
    };
  }
  return { message, ...position };
}

/** The stack with positions relative to the user's code and frames of the wrapper dropped. */
export function rewriteStack(stack: string, code: string): string {
  const lineCount = countLines(code);
  const frames: string[] = [];
  for (const frame of stack.split('\n')) {
    if (frame.trim() === '') continue;
    const position = toUserPosition(frame);
    if (!position) {
      if (frame.includes('(native)')) frames.push(frame);
      continue;
    }
    if (position.line < 1 || position.line > lineCount) continue;
    const column = position.column === undefined ? '' : `:${position.column}`;
    frames.push(frame.replace(FRAME_POSITION, `$1${SCRIPT_FILENAME}:${position.line}${column}`));
  }
  return frames.join('\n');
}

export function formatPosition(position: SourcePosition | undefined): string {
  if (!position) return '';
  return position.column === undefined
    ? `line ${position.line}`
    : `line ${position.line}, column ${position.column}`;
}
