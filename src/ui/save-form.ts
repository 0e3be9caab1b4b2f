import type { MessageGroup } from '../capture/save';
import { bindingsOf, type KeyAction, type KeyBinding } from './keymap';
import type { Size } from './canvas';
import { boxLines, Form } from './form';
import type { Rendered, SaveFormat, WindowController } from './window';

/** The window the save form is drawn over; its status line gets the result. */
export interface SaveSource {
  status: string;
  render(size: Size): Rendered;
}

/** One choice of what to save: `all`, `selected`, `displayed` dialogs, or `message`. */
export interface SaveTarget {
  name: string;
  what(): MessageGroup[];
  /** What one group is called in the result: `dialog`, `message`. */
  noun: string;
}

export interface SaveOptions {
  title: string;
  targets: readonly SaveTarget[];
  /** Target chosen at first. */
  initial: number;
  /** File name offered, without extension (`.pcap` or `.txt` follows the format). */
  defaultFile: string;
  /** Writes; returns what was done or throws an Error saying why not. */
  saveAs(groups: readonly MessageGroup[], format: SaveFormat, file: string, what: string): string;
  close(): void;
  ascii: boolean;
}

const FORMATS: readonly SaveFormat[] = ['pcap', 'text', 'pcap+rtp'];
const EXTENSION: Readonly<Record<SaveFormat, string>> = { pcap: '.pcap', 'pcap+rtp': '.pcap', text: '.txt' };

/**
 * Save window (F2/s in the list, s in the call flow): the chosen dialogs (all, selected,
 * displayed) or the current message, as pcap (the captured frames), pcap+rtp (those and the
 * frames of the dialogs' RTP streams, read again from the capture files) or text (the -T
 * export, which `sipscope -I` reads back), to a file the user names.
 */
export class SaveForm implements WindowController {
  readonly window = 'save' as const;
  private readonly form: Form;
  private error = '';

  constructor(
    private readonly source: SaveSource,
    private readonly o: SaveOptions,
  ) {
    this.form = new Form([
      { kind: 'text', label: 'Save to', value: o.defaultFile + EXTENSION.pcap },
      { kind: 'choice', label: 'Format', options: FORMATS, value: 0 },
      { kind: 'choice', label: 'Save', options: o.targets.map((t) => t.name), value: o.initial },
    ]);
  }

  bindings(): KeyBinding[] {
    return bindingsOf('save');
  }

  private choice(label: string): number {
    const f = this.form.fields.find((x) => x.label === label);
    return f?.kind === 'choice' ? f.value : 0;
  }

  private get format(): SaveFormat {
    return FORMATS[this.choice('Format')] ?? 'pcap';
  }

  render(size: Size): Rendered {
    const under = this.source.render(size);
    const width = Math.min(size.cols, 72);
    const body = this.form.lines(width, this.o.ascii);
    if (this.error !== '') {
      body.push([{ text: '' }]);
      for (const part of wrap(this.error, width - 4)) body.push([{ text: `  ${part}`, bold: true }]);
    }
    const lines = boxLines(this.o.title, body, 'Type a path  Tab move  Space choose  Enter save  Esc cancel', width);
    return { lines: under.lines, overlay: { lines, width } };
  }

  text(key: string, ch: string | undefined): boolean {
    return this.form.type(key, ch);
  }

  /** A file name still ending in the other format's extension follows the format chosen. */
  private followFormat(): void {
    const f = this.form.fields[0];
    if (f?.kind !== 'text') return;
    for (const ext of Object.values(EXTENSION)) {
      if (f.value.endsWith(ext)) {
        f.value = f.value.slice(0, -ext.length) + EXTENSION[this.format];
        return;
      }
    }
  }

  private save(): void {
    const target = this.o.targets[this.choice('Save')];
    if (target === undefined) return;
    const groups = target.what();
    const file = this.form.text('Save to').trim();
    if (file === '') {
      this.error = 'Type the path of the file to write.';
      return;
    }
    if (groups.length === 0) {
      this.error = `Nothing to save: no ${target.name} ${target.noun}s.`;
      return;
    }
    const what = `${groups.length} ${target.noun}${groups.length === 1 ? '' : 's'}`;
    try {
      this.source.status = this.o.saveAs(groups, this.format, file, what);
      this.o.close();
    } catch (err) {
      this.error = `Not saved: ${(err as Error).message}`;
    }
  }

  action(a: KeyAction): void {
    switch (a) {
      case 'form-next':
        this.form.next();
        break;
      case 'form-prev':
        this.form.prev();
        break;
      case 'form-toggle':
        this.form.toggle();
        if (this.form.focused?.label === 'Format') this.followFormat();
        break;
      case 'form-apply':
        this.save();
        break;
      case 'form-cancel':
        this.o.close();
        break;
      default:
        break;
    }
  }
}

/** Splits text at spaces into lines of at most `width` characters (longer words are cut). */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line === '' ? word : `${line} ${word}`;
    if ([...next].length <= width) line = next;
    else {
      if (line !== '') out.push(line);
      line = [...word].slice(0, width).join('');
    }
  }
  if (line !== '') out.push(line);
  return out;
}
