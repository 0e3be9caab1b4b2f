import type { StyledLine } from './canvas';
import { padTo, typedChar } from './window';
import { displayWidth } from '../view/text-width';

/** Fields of the small forms (filter window, save window). */
export type Field =
  | { kind: 'text'; label: string; value: string }
  | { kind: 'check'; label: string; checked: boolean }
  | { kind: 'choice'; label: string; options: readonly string[]; value: number };

/** Focus, editing and drawing of a list of fields; the owner decides what they mean. */
export class Form {
  focus = 0;

  constructor(readonly fields: Field[]) {}

  get focused(): Field | undefined {
    return this.fields[this.focus];
  }

  next(): void {
    this.focus = (this.focus + 1) % this.fields.length;
  }

  prev(): void {
    this.focus = (this.focus + this.fields.length - 1) % this.fields.length;
  }

  toggle(): boolean {
    const f = this.focused;
    if (f === undefined) return false;
    if (f.kind === 'check') f.checked = !f.checked;
    else if (f.kind === 'choice') f.value = (f.value + 1) % f.options.length;
    else return false;
    return true;
  }

  /** Text typed into the focused text field; true when used. */
  type(key: string, ch: string | undefined): boolean {
    const f = this.focused;
    if (f === undefined || f.kind !== 'text') return false;
    if (key === 'backspace') {
      f.value = [...f.value].slice(0, -1).join('');
      return true;
    }
    if (key === 'C-u') {
      f.value = '';
      return true;
    }
    const c = typedChar(key, ch);
    if (c === undefined) return false;
    f.value += c;
    return true;
  }

  text(label: string): string {
    const f = this.fields.find((x) => x.label === label);
    return f?.kind === 'text' ? f.value : '';
  }

  lines(width: number, ascii: boolean): StyledLine[] {
    const inner = width - 4;
    const out: StyledLine[] = [];
    this.fields.forEach((f, i) => {
      const focused = i === this.focus;
      let text: string;
      if (f.kind === 'text') text = `${f.label.padEnd(12)} [${padTo(f.value + (focused ? '_' : ''), Math.max(4, inner - 15))}]`;
      else if (f.kind === 'check') text = `[${f.checked ? (ascii ? 'x' : '✔') : ' '}] ${f.label}`;
      else text = `${f.label.padEnd(12)} ${f.options.map((o, k) => (k === f.value ? `(*) ${o}` : `( ) ${o}`)).join('  ')}`;
      out.push([{ text: '  ' }, { text: padTo(text, inner), inverse: focused }, { text: '  ' }]);
    });
    return out;
  }
}

/** A framed box of lines, `width` wide, with a title line and a hint line. */
export function boxLines(title: string, body: StyledLine[], hint: string, width: number): StyledLine[] {
  const blank: StyledLine = [{ text: ' '.repeat(width) }];
  return [
    [{ text: padTo(` ${title}`, width), inverse: true }],
    blank,
    ...body.map((l) => {
      const len = l.reduce((n, s) => n + displayWidth(s.text), 0);
      return len < width ? [...l, { text: ' '.repeat(width - len) }] : l;
    }),
    blank,
    [{ text: padTo(` ${hint}`, width), inverse: true }],
  ];
}
