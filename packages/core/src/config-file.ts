/**
 * OpenVZ-style config files: shell `KEY="value"` lines and `#` comments. The writer
 * edits a file in place — a changed key keeps its line, comments and order stay, new
 * keys go to the end — so `vzctl set --save` never loses what an administrator wrote.
 */

export interface ConfigLine {
  /** The text of the line as read (without the newline). */
  text: string;
  key?: string;
  value?: string;
}

export class ConfigParseError extends Error {
  constructor(readonly line: number, readonly text: string, reason: string) {
    super(`line ${line}: ${reason}: ${JSON.stringify(text)}`);
    this.name = 'ConfigParseError';
  }
}

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*?)\s*$/;

function unquote(raw: string, lineNo: number, text: string): string {
  if (raw.startsWith('"')) {
    if (raw.length < 2 || !raw.endsWith('"')) throw new ConfigParseError(lineNo, text, 'unterminated double quote');
    return raw.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
  }
  if (raw.startsWith("'")) {
    if (raw.length < 2 || !raw.endsWith("'")) throw new ConfigParseError(lineNo, text, 'unterminated single quote');
    return raw.slice(1, -1);
  }
  // A bare value ends at an unquoted space or comment, as in sh.
  const m = /^([^\s#]*)\s*(#.*)?$/.exec(raw);
  if (!m) throw new ConfigParseError(lineNo, text, 'spaces in a value need quotes');
  return m[1] ?? '';
}

/** An editable config file. */
export class ConfigFile {
  private constructor(private readonly lines: ConfigLine[]) {}

  static parse(content: string): ConfigFile {
    const texts = content.split('\n');
    if (texts.length > 0 && texts[texts.length - 1] === '') texts.pop();
    const lines = texts.map((text, i): ConfigLine => {
      const trimmed = text.trim();
      if (trimmed === '' || trimmed.startsWith('#')) return { text };
      const m = LINE.exec(text);
      if (!m) throw new ConfigParseError(i + 1, text, 'not a KEY="value" line');
      return { text, key: m[1]!, value: unquote(m[2]!, i + 1, text) };
    });
    return new ConfigFile(lines);
  }

  static empty(): ConfigFile {
    return new ConfigFile([]);
  }

  /** The last assignment wins, as when the shell sources the file. */
  get(key: string): string | undefined {
    for (let i = this.lines.length - 1; i >= 0; i--) if (this.lines[i]!.key === key) return this.lines[i]!.value;
    return undefined;
  }

  keys(): string[] {
    return [...new Set(this.lines.flatMap((l) => (l.key ? [l.key] : [])))];
  }

  entries(): Array<[string, string]> {
    return this.keys().map((k) => [k, this.get(k)!]);
  }

  /** Sets a key in place (its last line), or appends it; undefined removes every line of it. */
  set(key: string, value: string | undefined): void {
    if (value === undefined) {
      for (let i = this.lines.length - 1; i >= 0; i--) if (this.lines[i]!.key === key) this.lines.splice(i, 1);
      return;
    }
    const text = `${key}="${value.replace(/(["\\$`])/g, '\\$1')}"`;
    for (let i = this.lines.length - 1; i >= 0; i--) {
      if (this.lines[i]!.key === key) {
        this.lines[i] = { text, key, value };
        return;
      }
    }
    this.lines.push({ text, key, value });
  }

  toString(): string {
    return this.lines.map((l) => l.text).join('\n') + (this.lines.length ? '\n' : '');
  }
}
