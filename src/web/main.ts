import { clear, h } from './dom.js';
import { comparePage } from './pages/comparePage.js';
import { datasetPage, datasetsPage } from './pages/datasetsPage.js';
import { newRunPage } from './pages/newRunPage.js';
import { runPage } from './pages/runPage.js';
import { runsPage } from './pages/runsPage.js';
import { studiesPage } from './pages/studiesPage.js';
import { viewerPage } from './pages/viewerPage.js';

type Page = (root: HTMLElement, ...params: string[]) => Promise<() => void>;

const ROUTES: [RegExp, Page, string][] = [
  [/^#\/runs\/([^/]+)\/cases\/(.+)$/, viewerPage, 'runs'],
  [/^#\/runs\/([^/]+)$/, runPage, 'runs'],
  [/^#\/compare\/(.+)$/, (root, ids) => comparePage(root, ids.split(',')), 'runs'],
  [/^#\/new$/, newRunPage, 'new'],
  [/^#\/datasets\/(.+)$/, datasetPage, 'datasets'],
  [/^#\/datasets$/, datasetsPage, 'datasets'],
  [/^#\/studies$/, studiesPage, 'studies'],
  [/^(#\/runs)?$|^#\/?$/, runsPage, 'runs'],
];

let leave: () => void = () => undefined;

/** Hash router: each page renders into #app and returns its clean-up (closing event streams). */
async function route(): Promise<void> {
  leave();
  const root = document.getElementById('app') as HTMLElement;
  clear(root);
  const hash = location.hash;
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
    root.append(h('div', { class: 'banner' }, (err as Error).message, ' ', h('a', { href: '#/runs' }, 'Back to the runs')));
  }
}

window.addEventListener('hashchange', () => void route());
void route();
