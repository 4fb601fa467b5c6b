/**
 * Typed text in the flow dialog: a secret being asked for (an SSH key's passphrase: masked, its
 * characters kept here and never in the store) and, pure, what a key does to the form's fields or to
 * the type-to-confirm text.
 */
import type { FlowView } from './state.js';
import { editLine, isPrintable } from './line-editor.js';

/** A key in the form or the confirmation: not taken, or taken with the dialog's change (if any). */
export type DialogKey = { taken: false } | { taken: true; patch?: Partial<FlowView> };

/** What a key does in the form (fields, focus, choices) or the confirm stage (the typed name); pure. */
export function dialogKey(f: FlowView, name: string, raw: string): DialogKey {
  if (f.stage === 'confirm') {
    const typed = editLine(f.typed, name, raw);
    return typed === undefined ? { taken: false } : { taken: true, patch: { typed } };
  }
  if (f.stage !== 'form') return { taken: false };
  const choices = f.fields[f.focus]?.choices;
  if (choices && (raw === ' ' || name === 'space' || name === 'left' || name === 'right')) {
    // A choice field: space or ←/→ switches its value; typed text does not apply.
    const at = choices.indexOf(f.fields[f.focus].value);
    const value = choices[(at + (name === 'left' ? choices.length - 1 : 1)) % choices.length];
    return { taken: true, patch: { refusal: undefined, fields: f.fields.map((x, i) => (i === f.focus ? { ...x, value } : x)) } };
  }
  if (name === 'tab' || name === 'down') return { taken: true, patch: { focus: (f.focus + 1) % f.fields.length } };
  if (name === 'up') return { taken: true, patch: { focus: (f.focus + f.fields.length - 1) % f.fields.length } };
  if (choices && (name === 'backspace' || isPrintable(raw))) return { taken: true };
  if (name === 'backspace' || isPrintable(raw)) {
    const value = editLine(f.fields[f.focus]?.value ?? '', name, raw) ?? '';
    return { taken: true, patch: { refusal: undefined, fields: f.fields.map((x, i) => (i === f.focus ? { ...x, value } : x)) } };
  }
  return { taken: false };
}

/** A secret asked for in the dialog: the question and the count of typed characters are shown, never the text. */
export class SecretPrompt {
  private secret?: { chars: string; resolve: (value: string | undefined) => void };

  /** `show` writes the dialog's prompt line (undefined: none). */
  constructor(private readonly show: (prompt: FlowView['secretPrompt'] | ((f: FlowView) => FlowView['secretPrompt'])) => void) {}

  get active(): boolean {
    return this.secret !== undefined;
  }

  /** Ask (masked); resolves with the text on enter, undefined on esc or when the dialog closes. */
  ask(question: string): Promise<string | undefined> {
    this.end(undefined);
    return new Promise((resolve) => {
      this.secret = { chars: '', resolve };
      this.show({ question, length: 0 });
    });
  }

  /** Ends the question with this answer (undefined: none). */
  end(value: string | undefined): void {
    const s = this.secret;
    if (!s) return;
    this.secret = undefined;
    this.show(undefined);
    s.resolve(value);
  }

  /** A key while asking: enter answers, esc gives up, the rest edits; false when nothing is asked. */
  key(name: string, raw: string): boolean {
    const s = this.secret;
    if (!s) return false;
    if (name === 'enter') this.end(s.chars);
    else if (name === 'escape') this.end(undefined);
    else {
      const edited = editLine(s.chars, name, raw);
      if (edited === undefined) return true;
      s.chars = edited;
    }
    if (this.secret) this.show((f) => (f.secretPrompt ? { ...f.secretPrompt, length: s.chars.length } : undefined));
    return true;
  }
}
