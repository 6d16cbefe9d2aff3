// Copy to the clipboard. The async Clipboard API needs a secure context (https, localhost); a LAN
// address over http falls back to selecting the text and the older copy command.

import { h } from '../dom.js';
import { toast } from './toast.js';

export async function copyText(text, input) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
    } else {
      input?.select();
      if (!document.execCommand('copy')) throw new Error('copy refused');
    }
    toast('Copied to the clipboard.');
    return true;
  } catch {
    input?.select();
    toast('Copy failed: the text is selected, press Ctrl+C (⌘C).', 'error');
    return false;
  }
}

// A read-only field with the secret and a Copy button beside it.
export function secretBox(value, { label = 'Secret', id } = {}) {
  const input = h('input', { type: 'text', readOnly: true, value, id, 'aria-label': label, spellcheck: false });
  input.addEventListener('focus', () => input.select());
  const button = h('button', { type: 'button', class: 'btn', 'data-action': 'copy' }, 'Copy');
  button.addEventListener('click', () => copyText(input.value, input));
  return { element: h('div', { class: 'secret-box' }, input, button), input, button };
}
