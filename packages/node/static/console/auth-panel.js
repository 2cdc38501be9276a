// Asks for a bearer token when the node answers UNAUTHORIZED (nodes started
// with auth tokens serve the console's files to anyone, but no data).
import { hasToken, setToken } from './api.js';
import { show } from './dom.js';

export function setupAuth(onChange) {
  const form = document.getElementById('auth');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const input = /** @type {HTMLInputElement} */ (document.getElementById('auth-token'));
    setToken(input.value.trim());
    input.value = '';
    onChange();
  });
  document.getElementById('auth-forget').addEventListener('click', () => {
    setToken('');
    onChange();
  });
}

/** Shows the token form while the node refuses us, with why. */
export function showAuth(refused) {
  document.getElementById('auth').hidden = !refused;
  document.getElementById('auth-forget').hidden = !hasToken();
  show('auth-note', hasToken() ? 'the node refused this token' : 'this node requires a token');
}
