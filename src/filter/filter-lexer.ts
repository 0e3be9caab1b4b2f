/*
 * Tokens of the filter language (see compile-filter.ts for the grammar):
 *
 *   word    a run of characters other than white space, ( ) ~ < > =  (not starting with !, &, |)
 *   string  '...' or "..." with \ escaping the quote or a backslash
 *   ( )     grouping
 *   op      ~  >  <  >=  <=  =  ==  !  &&  ||
 *
 * The lexer is pulled by the parser, which asks for a regular expression after `~` with
 * `regex()`: a quoted string, or the raw characters up to white space (parentheses inside
 * kept when balanced, so `payload ~ (a|b)` and `(payload ~ a|b)` both read right).
 */

export type TokenKind = 'word' | 'string' | 'lparen' | 'rparen' | 'op' | 'end';

export interface Token {
  kind: TokenKind;
  /** The text: the word, the unquoted string, the operator; '' at the end. */
  text: string;
  /** 0-based offset of the token's first character in the expression. */
  pos: number;
}

/** Thrown by the lexer and parser, caught by compileFilter and returned as a value. */
export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

const WORD_STOP = new Set([' ', '\t', '\n', '\r', '(', ')', '~', '<', '>', '=']);

export class FilterLexer {
  private pos = 0;
  private peeked: Token | undefined;

  constructor(readonly text: string) {}

  peek(): Token {
    if (this.peeked === undefined) this.peeked = this.scan();
    return this.peeked;
  }

  next(): Token {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  /** A regular expression's source at the current position (see the header comment). */
  regex(): Token {
    if (this.peeked !== undefined) {
      this.pos = this.peeked.pos;
      this.peeked = undefined;
    }
    this.skipSpace();
    const start = this.pos;
    const c = this.text[start];
    if (c === undefined) return { kind: 'end', text: '', pos: start };
    if (c === '"' || c === "'") return this.scanString(c);
    let depth = 0;
    let p = start;
    while (p < this.text.length) {
      const ch = this.text[p] ?? '';
      if (isSpace(ch)) break;
      if (ch === '\\') {
        p += 2;
        continue;
      }
      if (ch === '(') depth++;
      else if (ch === ')') {
        if (depth === 0) break;
        depth--;
      }
      p++;
    }
    this.pos = Math.min(p, this.text.length);
    return { kind: 'word', text: this.text.slice(start, this.pos), pos: start };
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && isSpace(this.text[this.pos] ?? '')) this.pos++;
  }

  private scan(): Token {
    this.skipSpace();
    const start = this.pos;
    const t = this.text;
    const c = t[start];
    if (c === undefined) return { kind: 'end', text: '', pos: start };
    if (c === '(') {
      this.pos++;
      return { kind: 'lparen', text: '(', pos: start };
    }
    if (c === ')') {
      this.pos++;
      return { kind: 'rparen', text: ')', pos: start };
    }
    if (c === '"' || c === "'") return this.scanString(c);
    const two = t.slice(start, start + 2);
    if (two === '>=' || two === '<=' || two === '==' || two === '&&' || two === '||') {
      this.pos += 2;
      return { kind: 'op', text: two, pos: start };
    }
    if (c === '~' || c === '<' || c === '>' || c === '=' || c === '!') {
      this.pos++;
      return { kind: 'op', text: c, pos: start };
    }
    if (c === '&' || c === '|') throw new FilterSyntaxError(`unexpected '${c}' (write 'and', 'or', '&&' or '||') at position ${start}`, start);
    let p = start;
    while (p < t.length && !WORD_STOP.has(t[p] ?? ' ')) p++;
    this.pos = p;
    return { kind: 'word', text: t.slice(start, p), pos: start };
  }

  private scanString(quote: string): Token {
    const start = this.pos;
    let p = start + 1;
    let out = '';
    while (p < this.text.length) {
      const ch = this.text[p] ?? '';
      if (ch === '\\' && (this.text[p + 1] === quote || this.text[p + 1] === '\\')) {
        out += this.text[p + 1];
        p += 2;
        continue;
      }
      if (ch === quote) {
        this.pos = p + 1;
        return { kind: 'string', text: out, pos: start };
      }
      out += ch;
      p++;
    }
    throw new FilterSyntaxError(`unterminated string starting at position ${start}`, start);
  }
}
