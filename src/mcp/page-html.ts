// The HTML of the one-time secret page: a plain form, no script, no external resource (the
// Content-Security-Policy of secret-page.ts forbids both). Pure.
import type { PageRequest } from './page-request.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:38em;margin:3em auto;padding:0 1em;color:#222}
h1{font-size:1.3em}.why{border-left:3px solid #999;padding-left:.8em;color:#444}
input[type=password]{width:100%;font:inherit;padding:.4em;box-sizing:border-box}
button{font:inherit;padding:.4em 1.2em;margin-top:1em}.note{color:#555;font-size:.9em}.err{color:#a00}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="same-origin"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>${body}</body></html>
`;
}

export function renderForm(req: PageRequest, action: string, error?: string): string {
  return page(
    `keyring-inject: ${req.name}`,
    `<h1>Store ${escapeHtml(req.name)} in your OS keyring</h1>
<p>Claude asked for this secret. What you type here goes straight into the OS keyring on this
computer, as <b>${escapeHtml(req.id)}</b>; it never enters the conversation.</p>
<p class="why">Claude says: ${escapeHtml(req.purpose)}</p>
${req.recordedIn ? `<p class="note">A reference (never the value) is added to ${escapeHtml(req.recordedIn)}.</p>` : ''}
${req.replaces ? `<p class="note">A value is stored as ${escapeHtml(req.id)} already: submitting replaces it.</p>` : ''}
${error ? `<p class="err">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}" autocomplete="off">
<label for="value">${escapeHtml(req.name)}</label>
<input type="password" id="value" name="value" autofocus required spellcheck="false">
<button type="submit">Store in keyring</button>
</form>
<p class="note">This page works once and only for a few minutes. If you did not expect it, close it.</p>`,
  );
}

export function renderDone(req: PageRequest): string {
  return page('Stored', `<h1>Stored</h1><p>${escapeHtml(req.name)} is in your OS keyring as <b>${escapeHtml(req.id)}</b>. You can close this tab and go back to Claude.</p>`);
}

export function renderRefusal(text: string): string {
  return page('keyring-inject', `<h1>keyring-inject</h1><p>${escapeHtml(text)}</p>`);
}
