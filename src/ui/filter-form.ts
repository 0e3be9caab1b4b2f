import { compileTelephonyExpression, FILTER_METHODS, type FilterFields } from '../view/dialog-filter';
import { bindingsOf, type KeyAction, type KeyBinding } from './keymap';
import type { Size } from './canvas';
import { boxLines, Form, type Field } from './form';
import { padTo, type Rendered, type WindowController } from './window';

/** What the filter window needs of the list: its current filter, and a way to set it. */
export interface FilterTarget {
  filter: FilterFields;
  setFilter(f: FilterFields): void;
  render(size: Size): Rendered;
}

const TEXT_FIELDS: readonly [string, keyof Omit<FilterFields, 'methods'>][] = [
  ['SIP From', 'from'],
  ['SIP To', 'to'],
  ['Source', 'src'],
  ['Destination', 'dst'],
  ['Payload', 'payload'],
  ['Expression', 'expression'],
];

/** sngrep's filter window (F7): applied on every change, so the list narrows as you type. */
export class FilterForm implements WindowController {
  readonly window = 'filter' as const;
  private readonly form: Form;

  constructor(
    private readonly target: FilterTarget,
    private readonly closeWindow: () => void,
    private readonly ascii: boolean,
  ) {
    const f = target.filter;
    const fields: Field[] = TEXT_FIELDS.map(([label, key]) => ({ kind: 'text', label, value: f[key] }));
    for (const m of FILTER_METHODS) fields.push({ kind: 'check', label: m, checked: f.methods.includes(m) });
    this.form = new Form(fields);
  }

  bindings(): KeyBinding[] {
    return bindingsOf('filter');
  }

  private apply(): void {
    const get = (label: string): string => this.form.text(label);
    this.target.setFilter({
      from: get('SIP From'),
      to: get('SIP To'),
      src: get('Source'),
      dst: get('Destination'),
      payload: get('Payload'),
      expression: get('Expression'),
      methods: this.form.fields.filter((x) => x.kind === 'check' && x.checked).map((x) => x.label),
    });
  }

  render(size: Size): Rendered {
    const under = this.target.render(size);
    const width = Math.min(size.cols, 60);
    const formLines = this.form.lines(width, this.ascii);
    // The expression is the --filter language: say what is wrong while it does not compile.
    const expr = this.form.text('Expression').trim();
    const compiled = expr === '' ? undefined : compileTelephonyExpression(expr);
    const note =
      compiled === undefined
        ? 'Expression: e.g. status 4xx, srcnum 3544151500, state BUSY'
        : compiled.ok
          ? 'Expression: applied'
          : `Expression (not applied): ${compiled.error}`;
    formLines.push([{ text: '  ' }, { text: padTo(note, Math.max(0, width - 4)) }, { text: '  ' }]);
    const lines = boxLines(
      'Filter dialogs (applied as you type)',
      formLines,
      'Tab/Up/Down move  Space tick  Enter/Esc close',
      width,
    );
    return { lines: under.lines, overlay: { lines, width } };
  }

  text(key: string, ch: string | undefined): boolean {
    if (this.form.type(key, ch)) {
      this.apply();
      return true;
    }
    return false;
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
        if (this.form.toggle()) this.apply();
        break;
      case 'form-apply':
      case 'form-cancel':
        this.apply();
        this.closeWindow();
        break;
      default:
        break;
    }
  }
}
