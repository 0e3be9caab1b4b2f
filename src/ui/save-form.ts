import type { Dialog } from '../store/dialog';
import { bindingsOf, type KeyAction, type KeyBinding } from './keymap';
import type { Size } from './canvas';
import { boxLines, Form } from './form';
import type { Rendered, WindowController } from './window';

/** What the save window needs of the list. */
export interface SaveSource {
  status: string;
  selectedDialogs(): Dialog[];
  displayedDialogs(): Dialog[];
  render(size: Size): Rendered;
}

export interface SaveActions {
  allDialogs(): Dialog[];
  /** Writes; returns what was done or throws an Error saying why not. */
  savePcap(dialogs: readonly Dialog[], file: string): string;
  close(): void;
  ascii: boolean;
}

const WHICH = ['all', 'selected', 'displayed'] as const;

/** Save window (F2): all / selected / displayed dialogs to a pcap file the user names. */
export class SaveForm implements WindowController {
  readonly window = 'save' as const;
  private readonly form: Form;
  private error = '';

  constructor(
    private readonly source: SaveSource,
    private readonly actions: SaveActions,
  ) {
    const hasSelection = source.selectedDialogs().length > 0;
    this.form = new Form([
      { kind: 'text', label: 'Save to', value: 'sipscope-save.pcap' },
      { kind: 'choice', label: 'Dialogs', options: WHICH, value: hasSelection ? 1 : 0 },
    ]);
  }

  bindings(): KeyBinding[] {
    return bindingsOf('save');
  }

  render(size: Size): Rendered {
    const under = this.source.render(size);
    const width = Math.min(size.cols, 72);
    const body = this.form.lines(width, this.actions.ascii);
    if (this.error !== '') {
      body.push([{ text: '' }]);
      for (const part of wrap(this.error, width - 4)) body.push([{ text: `  ${part}`, bold: true }]);
    }
    const lines = boxLines('Save dialogs as pcap', body, 'Type a path  Tab move  Space choose  Enter save  Esc cancel', width);
    return { lines: under.lines, overlay: { lines, width } };
  }

  text(key: string, ch: string | undefined): boolean {
    return this.form.type(key, ch);
  }

  private save(): void {
    const f = this.form.fields[1];
    const which = f?.kind === 'choice' ? WHICH[f.value] : 'all';
    const dialogs =
      which === 'selected' ? this.source.selectedDialogs() : which === 'displayed' ? this.source.displayedDialogs() : this.actions.allDialogs();
    const file = this.form.text('Save to').trim();
    if (file === '') {
      this.error = 'Type the path of the file to write.';
      return;
    }
    if (dialogs.length === 0) {
      this.error = `No ${which} dialogs to save.`;
      return;
    }
    try {
      this.source.status = this.actions.savePcap(dialogs, file);
      this.actions.close();
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
        break;
      case 'form-apply':
        this.save();
        break;
      case 'form-cancel':
        this.actions.close();
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
