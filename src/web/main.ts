import { currentUser, loadMe, SignInRequired, signOut } from './api.js';
import { clear, h } from './dom.js';
import { auditPage } from './pages/auditPage.js';
import { comparePage } from './pages/comparePage.js';
import { datasetPage, datasetsPage } from './pages/datasetsPage.js';
import { newRunPage } from './pages/newRunPage.js';
import { runPage } from './pages/runPage.js';
import { runsPage } from './pages/runsPage.js';
import { signInPage } from './pages/signInPage.js';
import { studiesPage } from './pages/studiesPage.js';
import { viewerPage } from './pages/viewerPage.js';
import { workersPage } from './pages/workersPage.js';

type Page = (root: HTMLElement, ...params: string[]) => Promise<() => void>;

const ROUTES: [RegExp, Page, string][] = [
  [/^#\/runs\/([^/]+)\/cases\/(.+)$/, viewerPage, 'runs'],
  [/^#\/runs\/([^/]+)$/, runPage, 'runs'],
  [/^#\/compare\/(.+)$/, (root, ids) => comparePage(root, ids.split(',')), 'runs'],
  [/^#\/new$/, newRunPage, 'new'],
  [/^#\/datasets\/(.+)$/, datasetPage, 'datasets'],
  [/^#\/datasets$/, datasetsPage, 'datasets'],
  [/^#\/studies$/, studiesPage, 'studies'],
  [/^#\/audit$/, auditPage, 'audit'],
  [/^#\/workers$/, workersPage, 'workers'],
  [/^(#\/runs)?$|^#\/?$/, runsPage, 'runs'],
];

let leave: () => void = () => undefined;

/** The header's account line: who is signed in (with their role), Sign out, and the audit log for admins. */
function showAccount(): void {
  const me = currentUser();
  const slot = document.getElementById('account') as HTMLElement;
  clear(slot);
  document.querySelector('[data-nav="audit"]')?.toggleAttribute('hidden', me?.role !== 'admin');
  if (!me || me.name === 'local') return;
  const out = h('button', { type: 'button', class: 'secondary', id: 'sign-out' }, 'Sign out');
  out.addEventListener('click', async () => {
    await signOut();
    showAccount();
    void route();
  });
  slot.append(h('span', { id: 'signed-in-as' }, `${me.name} (${me.role})`), ' ', out);
}

/** Hash router: each page renders into #app and returns its clean-up (closing event streams). */
async function route(): Promise<void> {
  leave();
  const root = document.getElementById('app') as HTMLElement;
  clear(root);
  const hash = location.hash;
  const signIn = () =>
    signInPage(root, () => {
      showAccount();
      void route();
    });
  if (!currentUser() && !(await loadMe())) {
    signIn();
    root.dataset.ready = 'signin';
    return;
  }
  showAccount();
  const match = ROUTES.map(([re, page, nav]) => [re.exec(hash), page, nav] as const).find(([m]) => m);
  document.querySelectorAll('[data-nav]').forEach((a) => a.classList.toggle('active', a.getAttribute('data-nav') === (match?.[2] ?? '')));
  if (!match) {
    root.append(h('p', {}, 'No such page. ', h('a', { href: '#/runs' }, 'Back to the runs')));
    return;
  }
  const [m, page] = match;
  try {
    leave = await page(root, ...(m as RegExpExecArray).slice(1).map(decodeURIComponent));
    root.dataset.ready = hash || '#/';
  } catch (err) {
    if (err instanceof SignInRequired) {
      clear(root);
      signIn();
      root.dataset.ready = 'signin';
      return;
    }
    root.append(h('div', { class: 'banner' }, (err as Error).message, ' ', h('a', { href: '#/runs' }, 'Back to the runs')));
  }
}

window.addEventListener('hashchange', () => void route());
void route();
