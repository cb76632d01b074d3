import { ApiError, signIn } from '../api.js';
import { h } from '../dom.js';

/**
 * Sign-in: a personal API token (from `segfusion user add` or `user token`) or the server's
 * SEGFUSION_TOKEN. The server answers with an HttpOnly session cookie; the token itself is not kept
 * by the page.
 */
export function signInPage(root: HTMLElement, onSignedIn: () => void): void {
  const token = h('input', { id: 'f-token', type: 'password', autocomplete: 'current-password', placeholder: 'sf_… or SEGFUSION_TOKEN', required: true });
  const error = h('div', { class: 'error', id: 'signin-error' });
  const form = h('form', { class: 'grid', id: 'signin' }, h('label', { for: 'f-token' }, 'API token'), token, h('span'), error, h('span'), h('button', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      await signIn(token.value.trim());
      onSignedIn();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      error.textContent = err.message;
    }
  });
  root.append(h('h1', {}, 'Sign in'), h('p', { class: 'muted' }, 'This SegFusion server has accounts. Your administrator gives you a personal API token (segfusion user add).'), form);
}
