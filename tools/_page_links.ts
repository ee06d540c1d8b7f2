// The report's pages read as one book: each links to the index and to the chapters before and
// after it. tools/_index_page.ts adds the links; tools/check_html.ts checks them.
import { escapeXml } from "../lib/plots/_render.ts";
import { writeFileAtomic } from "../lib/_atomic.ts";
import { isFile } from "./_system.ts";

/** One page of the book, in reading order. */
export interface BookPage {
  name: string;
  title: string;
}

const NAV = /<nav class="book-nav">[\s\S]*?<\/nav>\n?/g;
const STYLE = `<style>.book-nav{display:flex;gap:1.5em;flex-wrap:wrap;justify-content:space-between;
max-width:60em;margin:1em auto;padding:.5em 1em;font:15px/1.4 system-ui,sans-serif;
border-top:1px solid #ddd;border-bottom:1px solid #ddd}.book-nav a{text-decoration:none}</style>`;

/** The navigation bar of page `i` of `pages`. */
function pageNav(pages: BookPage[], i: number): string {
  const link = (p: BookPage, rel: string, label: string) =>
    `<a href="${p.name}.html" rel="${rel}">${label}</a>`;
  const previous = i > 0
    ? link(pages[i - 1], "prev", `← ${escapeXml(pages[i - 1].title)}`)
    : "<span></span>";
  const next = i < pages.length - 1
    ? link(pages[i + 1], "next", `${escapeXml(pages[i + 1].title)} →`)
    : "<span></span>";
  return `<nav class="book-nav">${previous}<a href="index.html" rel="index">↑ all chapters</a>${next}</nav>\n`;
}

/** Puts the navigation bar at the top and the bottom of every page (replacing an earlier one). */
export async function addPageLinks(dir: string, pages: BookPage[]): Promise<void> {
  for (const [i, page] of pages.entries()) {
    const path = `${dir}/${page.name}.html`;
    const html = (await Deno.readTextFile(path)).replace(NAV, "");
    const nav = pageNav(pages, i);
    const body = html.match(/<body[^>]*>\n?/);
    if (!body || !html.includes("</body>")) throw new Error(`${path}: no <body> to link from`);
    const at = body.index! + body[0].length;
    const linked = html.slice(0, at) + (html.includes(STYLE) ? "" : STYLE + "\n") + nav +
      html.slice(at).replace("</body>", `${nav}</body>`);
    await writeFileAtomic(path, linked);
  }
}

/**
 * What is wrong with the links between the pages in `dir` (`pages` in reading order, as file
 * names): each page must link to index.html and to its neighbours, at the top and the bottom,
 * every link must lead to a file that exists, and the index must link to every page.
 */
export function pageLinkProblems(dir: string, pages: string[]): string[] {
  const problems: string[] = [];
  const exists = (name: string) => isFile(`${dir}/${name}`);
  const index = exists("index.html") ? Deno.readTextFileSync(`${dir}/index.html`) : "";
  if (!index) problems.push("index.html: missing");
  pages.forEach((page, i) => {
    if (index && !index.includes(`href="${page}"`)) problems.push(`index.html: no link to ${page}`);
    const navs = Deno.readTextFileSync(`${dir}/${page}`).match(NAV) ?? [];
    if (navs.length !== 2) {
      problems.push(`${page}: ${navs.length} navigation bars (one at the top, one at the bottom)`);
      return;
    }
    const wanted: [string, string | undefined][] = [
      ["index", "index.html"],
      ["prev", pages[i - 1]],
      ["next", pages[i + 1]],
    ];
    for (const [rel, target] of wanted) {
      const href = navs[0].match(new RegExp(`<a href="([^"]*)" rel="${rel}"`))?.[1];
      if (href !== target) {
        problems.push(
          `${page}: the ${rel} link goes to ${href ?? "nothing"}, not ${target ?? "nothing"}`,
        );
      } else if (href && !exists(href)) {
        problems.push(`${page}: the ${rel} link's ${href} is missing`);
      }
    }
    if (navs[0] !== navs[1]) problems.push(`${page}: the top and bottom navigation bars differ`);
  });
  return problems;
}
