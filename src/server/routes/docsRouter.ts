import fs from 'node:fs';
import path from 'node:path';
import { Router } from 'express';
import { Marked } from 'marked';
import { notFound } from '../httpErrors.js';

/** A heading's anchor, as GitHub makes it: lower case, punctuation dropped, spaces as hyphens. */
export const slug = (text: string): string =>
  text
    .toLowerCase()
    .replace(/<[^>]+>/g, '')
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .trim()
    .replace(/\s+/g, '-');

const PAGE = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>SegFusion: ${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:1.2rem auto;padding:0 1rem;color:#1d2330;line-height:1.45}
table{border-collapse:collapse;font-size:.88rem;display:block;overflow-x:auto}td,th{border:1px solid #ccd;padding:.25rem .5rem;text-align:left;vertical-align:top}
code{background:#f0f2f6;padding:0 .2rem}pre{background:#f4f5f8;padding:.6rem;overflow:auto}nav a{margin-right:1rem}</style></head><body>
<nav><a href="/#/runs">Dashboard</a>DOCS_NAV</nav>${body}</body></html>`;

/**
 * GET /docs/NAME: the project's own documentation (docs/NAME.md: the user guide, the loss-fusion maths,
 * the architecture, the API) rendered to HTML, headings anchored as on GitHub, so that the launch
 * form's help can link to the section that explains an option. Only the files present at start-up
 * are served, by name: nothing from the request becomes a path.
 */
export function docsRouter(docsDir: string): Router {
  const names = fs.existsSync(docsDir)
    ? fs
        .readdirSync(docsDir)
        .filter((f) => /^[a-z][a-z-]*\.md$/.test(f))
        .map((f) => f.slice(0, -3))
    : [];
  const marked = new Marked({
    renderer: {
      heading({ tokens, depth }) {
        const inner = this.parser.parseInline(tokens);
        return `<h${depth} id="${slug(inner)}">${inner}</h${depth}>\n`;
      },
    },
  });
  const nav = names.map((n) => `<a href="/docs/${n}">${n}</a>`).join('');
  const pages = new Map<string, string>();
  const r = Router();
  r.get('/:name', (req, res) => {
    const name = req.params.name;
    if (!names.includes(name)) throw notFound(`no document "${name.slice(0, 80)}" (documents: ${names.join(', ')})`);
    let html = pages.get(name);
    if (!html) {
      html = PAGE(name, marked.parse(fs.readFileSync(path.join(docsDir, `${name}.md`), 'utf8')) as string).replace('DOCS_NAV', nav);
      pages.set(name, html);
    }
    res.type('html').send(html);
  });
  return r;
}
